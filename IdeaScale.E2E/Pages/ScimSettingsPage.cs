using Microsoft.Playwright;

namespace IdeaScale.E2E.Pages;

/// <summary>Manage Workspace › Security › Authentication › Single Sign On › SCIM. Selectors use the promised accessible names.</summary>
public sealed class ScimSettingsPage(IPage page)
{
    public static string PathFor(string slug) => $"/workspaces/{slug}/manage/security/authentication/sso/scim";

    public async Task GotoAsync(string slug)
    {
        await page.GotoAsync(PathFor(slug));
        await LoginPage.WaitForCircuitAsync(page);
        await Heading.WaitForAsync();
    }

    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "SCIM provisioning" });
    public ILocator BaseUrl => page.GetByTestId("scim-base-url");
    public ILocator Token => page.GetByTestId("scim-token");
    public ILocator NewToken => page.GetByTestId("new-token");

    private ILocator Button(string name) => page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    public async Task CopyBaseUrlAsync()
    {
        await Button("Copy SCIM base URL").ClickAsync();
        await page.GetByText("SCIM base URL copied.").WaitForAsync();
    }

    public async Task CopyTokenAsync()
    {
        await Button("Copy SCIM token").ClickAsync();
        await page.GetByText("SCIM token copied.").WaitForAsync();
    }

    /// <summary>Clicks "Show SCIM token" and returns the revealed token.</summary>
    public async Task<string> ShowTokenAsync()
    {
        await Button("Show SCIM token").ClickAsync();
        await Button("Hide SCIM token").WaitForAsync();
        return (await Token.InnerTextAsync()).Trim();
    }

    /// <summary>Regenerates through the dialog with the given grace option label; returns the new token shown prominently.</summary>
    public async Task<string> RegenerateAsync(string graceLabel, string? screenshot = null)
    {
        await Button("Regenerate SCIM token").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByText("Provisioning stops until your identity provider gets the new token").WaitForAsync();
        await dialog.GetByText(graceLabel, new() { Exact = true }).ClickAsync();
        if (screenshot is not null)
        {
            await AppHost.PortalAppHost.ScreenshotAsync(page, screenshot);
        }

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Regenerate", Exact = true }).ClickAsync();
        await NewToken.WaitForAsync();
        return (await NewToken.InnerTextAsync()).Trim();
    }

    /// <summary>The warning shown when another admin or tab regenerated the token first.</summary>
    public ILocator Conflict => page.GetByTestId("regenerate-conflict");

    /// <summary>Opens the regenerate dialog and waits for it (the page's view of the current token is what it replaces).</summary>
    public async Task<ILocator> OpenRegenerateDialogAsync()
    {
        await Button("Regenerate SCIM token").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByText("Provisioning stops until your identity provider gets the new token").WaitForAsync();
        return dialog;
    }

    /// <summary>Chooses the grace option in an open regenerate dialog and confirms.</summary>
    public static async Task ConfirmRegenerateAsync(ILocator dialog, string graceLabel)
    {
        await dialog.GetByText(graceLabel, new() { Exact = true }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Regenerate", Exact = true }).ClickAsync();
    }

    /// <summary>The connection status chip (its data-state attribute is the state name) and its explanation line.</summary>
    public ILocator HealthChip => page.GetByTestId("scim-health");
    public ILocator HealthExplanation => page.GetByTestId("scim-health-explanation");

    /// <summary>Clicks "Test connection" and waits for the verdict (data-passed "true" or "false").</summary>
    /// <summary>The connection test's optional "Client secret your identity provider holds" (shown when the workspace has an OAuth client).</summary>
    public ILocator ConnectionTestSecret => page.GetByTestId("connection-test-oauth").Locator("input");

    /// <summary>Enters the OAuth client secret into the connection test, then runs it.</summary>
    public async Task<ILocator> TestConnectionAsync(string clientSecret)
    {
        await ConnectionTestSecret.FillAsync(clientSecret);
        return await TestConnectionAsync();
    }

    public async Task<ILocator> TestConnectionAsync()
    {
        await Button("Test connection").ClickAsync();
        var result = page.GetByTestId("connection-test-result");
        await result.WaitForAsync();
        return result;
    }

    /// <summary>The re-sign-in dialog a stale sign-in opens before showing, copying or regenerating the token.</summary>
    public ILocator ReSignInDialog => page.GetByRole(AriaRole.Dialog, new() { Name = "Confirm your sign-in" });

    /// <summary>Types the password (and the authenticator code when given) into the re-sign-in dialog and confirms.</summary>
    public async Task ConfirmSignInAsync(string password, string? code = null)
    {
        await ReSignInDialog.GetByLabel("Password").FillAsync(password);
        if (code is not null)
        {
            await ReSignInDialog.GetByLabel("Authenticator code").FillAsync(code);
        }

        await ReSignInDialog.GetByRole(AriaRole.Button, new() { Name = "Confirm", Exact = true }).ClickAsync();
    }

    public Task<string> ReadClipboardAsync() => page.EvaluateAsync<string>("() => navigator.clipboard.readText()");

    /// <summary>
    /// The clipboard once it holds <paramref name="expected"/>, or what it holds after 10 s: a copy icon writes the
    /// clipboard asynchronously after the click, so an immediate read may still see the previous copy.
    /// </summary>
    public async Task<string> ReadClipboardAsync(string expected)
    {
        var text = await ReadClipboardAsync();
        for (var i = 0; i < 100 && text != expected; i++)
        {
            await Task.Delay(100);
            text = await ReadClipboardAsync();
        }

        return text;
    }
}
