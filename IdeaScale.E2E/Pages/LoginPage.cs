using IdeaScale.E2E.AppHost;

using Microsoft.Playwright;

namespace IdeaScale.E2E.Pages;

/// <summary>The static sign-in page. Selectors use the accessible names the portal promises.</summary>
public sealed class LoginPage(IPage page)
{
    public async Task SignInAsync(string email, string password)
    {
        await page.GotoAsync("/Account/Login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/Account/Login", StringComparison.OrdinalIgnoreCase), PortalAppHost.Navigated);
    }

    /// <summary>Waits until the interactive circuit is up, so clicks reach Blazor handlers.</summary>
    public static Task WaitForCircuitAsync(IPage page) =>
        page.Locator("#circuit-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
}
