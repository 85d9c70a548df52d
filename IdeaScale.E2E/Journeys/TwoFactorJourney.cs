using IdeaScale.E2E.AppHost;
using IdeaScale.E2E.Pages;
using IdeaScale.Portal.Security;

using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace IdeaScale.E2E.Journeys;

/// <summary>
/// Enrols an authenticator app and signs in with it. Uses an account of its own, so the journeys that sign in as the
/// demo accounts on the shared app are not asked for a code.
/// </summary>
[Collection(PortalE2E.Name)]
public sealed class TwoFactorJourney(PortalAppHost host)
{
    private const string Email = "two-factor-journey@ideascale.example";
    private const string Password = "E2e-TwoFactor-Pass-3!";

    [Fact]
    public async Task Account_EnrolsAuthenticator_ThenSignsInWithTotp()
    {
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var created = await users.CreateAsync(new PortalUser { UserName = Email, Email = Email, EmailConfirmed = true, DisplayName = "2FA journey" }, Password);
            Assert.True(created.Succeeded);
        }

        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync(Email, Password);

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
        await page.WaitForURLAsync(url => url.Contains("/Account/Login", StringComparison.OrdinalIgnoreCase), PortalAppHost.Navigated);
        await page.GotoAsync("/Account/Login");
        await page.GetByLabel("Email").FillAsync(Email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true }).ClickAsync();

        await page.WaitForURLAsync(url => url.Contains("/Account/LoginWith2fa", StringComparison.OrdinalIgnoreCase), PortalAppHost.Navigated);
        await PortalAppHost.ScreenshotAsync(page, "2fa-login-step");
        await page.GetByLabel("Authenticator code").FillAsync(Totp.Compute(sharedKey, DateTimeOffset.UtcNow));
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true }).ClickAsync();

        await page.WaitForURLAsync(url => !url.Contains("/Account/", StringComparison.OrdinalIgnoreCase), PortalAppHost.Navigated);
        await LoginPage.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Log out" })).ToBeVisibleAsync();
        await PortalAppHost.ScreenshotAsync(page, "2fa-signed-in");
        await page.Context.CloseAsync();
    }
}
