using System.Net;
using System.Net.Http.Headers;

using IdeaScale.E2E.AppHost;
using IdeaScale.E2E.Pages;

using Microsoft.Playwright;

namespace IdeaScale.E2E.Journeys;

/// <summary>Workspace admins and customer-success staff managing SCIM in a real browser against the running app.</summary>
[Collection(PortalE2E.Name)]
public sealed class ScimSettingsJourney(PortalAppHost host)
{
    private async Task<HttpStatusCode> ListUsersAsync(string token)
    {
        using var client = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/scim/v2/Users");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<IPage> SignInAsync(string email, string password)
    {
        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync(email, password);
        await LoginPage.WaitForCircuitAsync(page);
        return page;
    }

    [Fact]
    public async Task Admin_CopiesBaseUrlAndToken_ClipboardHoldsBothInFourClicks()
    {
        var page = await SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);
        var scim = new ScimSettingsPage(page);

        // Click 1: the dashboard card's SCIM button. Click 2: copy the base URL. Click 3: copy the token.
        await page.GetByRole(AriaRole.Link, new() { Name = "SCIM provisioning" }).ClickAsync();
        await scim.Heading.WaitForAsync();
        Assert.EndsWith(ScimSettingsPage.PathFor("ides"), page.Url, StringComparison.Ordinal);
        var crumbs = await page.GetByRole(AriaRole.Navigation, new() { Name = "Breadcrumb" }).GetByRole(AriaRole.Listitem).AllInnerTextsAsync();
        Assert.Equal(["Manage Workspace", "Security", "Authentication", "Single Sign On", "SCIM"], crumbs.Select(c => c.Trim()));

        await scim.CopyBaseUrlAsync();
        Assert.Equal("http://ides.localhost:5080/scim/v2", await scim.ReadClipboardAsync("http://ides.localhost:5080/scim/v2"));

        await scim.CopyTokenAsync();
        var copied = await scim.ReadClipboardAsync();
        Assert.StartsWith("iscim_", copied, StringComparison.Ordinal);
        Assert.DoesNotContain(copied, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.Equal(copied, await scim.ShowTokenAsync());
        Assert.Equal(HttpStatusCode.OK, await ListUsersAsync(copied));
        await PortalAppHost.ScreenshotAsync(page, "scim-enabled-token-shown");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_RegeneratesToken_OldTokenGets401NewTokenGets200()
    {
        var page = await SignInAsync("admin@acme.example", PortalAppHost.AdminPassword);
        var scim = new ScimSettingsPage(page);
        await scim.GotoAsync("acme");
        var oldToken = await scim.ShowTokenAsync();
        Assert.Equal(HttpStatusCode.OK, await ListUsersAsync(oldToken));

        var newToken = await scim.RegenerateAsync("No grace period (stops now)", screenshot: "scim-regenerate-dialog");

        Assert.NotEqual(oldToken, newToken);
        await PortalAppHost.ScreenshotAsync(page, "scim-new-token");
        Assert.Equal(HttpStatusCode.Unauthorized, await ListUsersAsync(oldToken));
        Assert.Equal(HttpStatusCode.OK, await ListUsersAsync(newToken));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_RegeneratesInTwoTabsAtOnce_SecondTabIsToldAndTheIdpKeepsItsGrace()
    {
        var first = await SignInAsync("admin@acme.example", PortalAppHost.AdminPassword);
        var second = await first.Context.NewPageAsync();
        var tab1 = new ScimSettingsPage(first);
        var tab2 = new ScimSettingsPage(second);
        await tab1.GotoAsync("acme");
        await tab2.GotoAsync("acme");
        var idpToken = await tab1.ShowTokenAsync();

        // Both tabs have the dialog open for the same token; the first confirms with a grace period, then the second.
        var dialog1 = await tab1.OpenRegenerateDialogAsync();
        var dialog2 = await tab2.OpenRegenerateDialogAsync();
        await ScimSettingsPage.ConfirmRegenerateAsync(dialog1, "1 hour");
        await tab1.NewToken.WaitForAsync();
        var newToken = (await tab1.NewToken.InnerTextAsync()).Trim();
        await ScimSettingsPage.ConfirmRegenerateAsync(dialog2, "No grace period (stops now)");

        await Assertions.Expect(tab2.Conflict).ToContainTextAsync("regenerated the SCIM token");
        await Assertions.Expect(tab2.Conflict).ToContainTextAsync("admin@acme.example");
        await Assertions.Expect(tab2.NewToken).ToHaveCountAsync(0);
        await PortalAppHost.ScreenshotAsync(second, "scim-regenerate-conflict");
        Assert.Equal(HttpStatusCode.OK, await ListUsersAsync(idpToken));
        Assert.Equal(HttpStatusCode.OK, await ListUsersAsync(newToken));
        await first.Context.CloseAsync();
    }

    [Fact]
    public async Task Csm_DisablesThenEnablesScim_ScimAnswers403Then200()
    {
        var page = await SignInAsync("csm@ideascale.example", PortalAppHost.CsmPassword);
        var console = new CsWorkspacesPage(page);
        await console.GotoAsync();
        await Assertions.Expect(console.ScimSwitch("No SSO Community")).ToBeDisabledAsync();
        await PortalAppHost.ScreenshotAsync(page, "cs-workspaces");
        Assert.Equal(HttpStatusCode.OK, await ListUsersAsync(PortalAppHost.IdesToken));

        try
        {
            await console.SetScimAsync("Ideas Demo", enabled: false, screenshotOfConfirmation: "cs-disable-confirmation");
            Assert.Equal(HttpStatusCode.Forbidden, await ListUsersAsync(PortalAppHost.IdesToken));
        }
        finally
        {
            await console.SetScimAsync("Ideas Demo", enabled: true);
        }

        Assert.Equal(HttpStatusCode.OK, await ListUsersAsync(PortalAppHost.IdesToken));
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData("/workspaces/acme/manage/security/authentication/sso/scim")]
    [InlineData("/workspaces/acme/manage/security/authentication/sso")]
    [InlineData("/customer-success/workspaces")]
    public async Task IdesAdmin_OpensAnotherWorkspacesPage_SeesNothingOfIt(string path)
    {
        var page = await SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);

        await page.GotoAsync(path);

        await Assertions.Expect(page.GetByText("Access denied").First).ToBeVisibleAsync();
        var html = await page.ContentAsync();
        Assert.DoesNotContain("Acme Innovation", html, StringComparison.Ordinal);
        Assert.DoesNotContain("acme.localhost", html, StringComparison.Ordinal);
        Assert.DoesNotContain("iscim_", html, StringComparison.Ordinal);
        await PortalAppHost.ScreenshotAsync(page, "access-denied-" + path.Split('/', StringSplitOptions.RemoveEmptyEntries)[^1]);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task IdesAdmin_SwitchesUrlWithinCircuit_SeesNothingOfAcme()
    {
        var page = await SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);
        await new ScimSettingsPage(page).GotoAsync("ides");

        // Interactive navigation (no page load) goes through the router's authorization, not the endpoint's.
        await page.EvaluateAsync("() => Blazor.navigateTo('/workspaces/acme/manage/security/authentication/sso/scim')");

        await Assertions.Expect(page.GetByTestId("not-authorized")).ToBeVisibleAsync();
        var html = await page.ContentAsync();
        Assert.DoesNotContain("Acme Innovation", html, StringComparison.Ordinal);
        Assert.DoesNotContain("acme.localhost", html, StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_WorkspaceWithoutSso_ScimPageExplainsAndLinksToSso()
    {
        var page = await SignInAsync("admin@nosso.example", PortalAppHost.AdminPassword);
        var scim = new ScimSettingsPage(page);
        await scim.GotoAsync("nosso");
        await Assertions.Expect(page.GetByTestId("scim-state-sso-inactive")).ToBeVisibleAsync();
        await PortalAppHost.ScreenshotAsync(page, "scim-sso-inactive");

        await page.GetByRole(AriaRole.Link, new() { Name = "Set up Single Sign On" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Single Sign On" }).WaitForAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copy SP entity ID" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copy ACS URL" })).ToBeVisibleAsync();
        await PortalAppHost.ScreenshotAsync(page, "sso-setup");

        await page.GetByRole(AriaRole.Button, new() { Name = "Save settings" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Enter the identity provider's entity id", new() { Exact = false })).ToBeVisibleAsync();
        await PortalAppHost.ScreenshotAsync(page, "sso-validation");

        await page.GotoAsync("/no-such-page");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Page not found" }).WaitForAsync();
        await PortalAppHost.ScreenshotAsync(page, "not-found");
        await page.Context.CloseAsync();
    }
}
