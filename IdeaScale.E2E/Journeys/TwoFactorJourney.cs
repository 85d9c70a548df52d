using IdeaScale.E2E.AppHost;
using IdeaScale.E2E.Pages;
using Microsoft.Playwright;

namespace IdeaScale.E2E.Journeys;

/// <summary>
/// Enrols an authenticator app and signs in with it. Uses admin@nosso.example so the journeys that sign in as
/// admin@ides.example on the shared app are not asked for a code.
/// </summary>
[Collection(PortalE2E.Name)]
public sealed class TwoFactorJourney(PortalAppHost host)
{
    private const string Email = "admin@nosso.example";

    [Fact]
    public async Task Admin_EnrolsAuthenticator_ThenSignsInWithTotp()
    {
        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync(Email, PortalAppHost.AdminPassword);

        await page.GotoAsync("/Account/Manage/EnableAuthenticator");
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { Name = "QR code for your authenticator app" })).ToBeVisibleAsync();
        var sharedKey = await page.GetByTestId("authenticator-key").InnerTextAsync();
        await PortalAppHost.ScreenshotAsync(page, "2fa-enable-authenticator");

        await page.GetByLabel("Verification Code").FillAsync(Totp.Compute(sharedKey, DateTimeOffset.UtcNow));
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Recovery codes" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("code.recovery-code")).ToHaveCountAsync(10);
        await PortalAppHost.ScreenshotAsync(page, "2fa-recovery-codes");

        // Sign out from the portal, then sign in again: the password alone is no longer enough.
        await page.GotoAsync("/");
        await LoginPage.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/Account/Login", StringComparison.OrdinalIgnoreCase));
        await page.GotoAsync("/Account/Login");
        await page.GetByLabel("Email").FillAsync(Email);
        await page.GetByLabel("Password").FillAsync(PortalAppHost.AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true }).ClickAsync();

        await page.WaitForURLAsync(url => url.Contains("/Account/LoginWith2fa", StringComparison.OrdinalIgnoreCase));
        await PortalAppHost.ScreenshotAsync(page, "2fa-login-step");
        await page.GetByLabel("Authenticator code").FillAsync(Totp.Compute(sharedKey, DateTimeOffset.UtcNow));
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true }).ClickAsync();

        await page.WaitForURLAsync(url => !url.Contains("/Account/", StringComparison.OrdinalIgnoreCase));
        await LoginPage.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Your workspaces" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("workspace-card")).ToContainTextAsync("No SSO Community");
        await page.Context.CloseAsync();
    }
}
