using System.Net;
using System.Net.Http.Headers;

using IdeaScale.E2E.AppHost;
using IdeaScale.E2E.Pages;
using IdeaScale.Portal.Data;
using IdeaScale.Portal.Data.Entities;
using IdeaScale.Portal.Security;

using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace IdeaScale.E2E.Journeys;

/// <summary>
/// An admin whose sign-in is older than Portal:RecentSignInMinutes confirms it in a dialog on the SCIM page, and the
/// action they asked for (copy, regenerate) then completes, without a trip to the sign-in page.
/// </summary>
[Collection(PortalE2E.Name)]
public sealed class ReSignInJourney(PortalAppHost host)
{
    private const string TwoFactorEmail = "resignin-2fa@acme.example";
    private const string TwoFactorPassword = "E2e-ReSignIn-Pass-5!";

    private async Task<HttpStatusCode> ListUsersAsync(string token)
    {
        using var client = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/scim/v2/Users");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Admin_StaleSignInShowsToken_FocusIsInThePasswordFieldWrongPasswordRevealsNothingEscapeReturnsFocus()
    {
        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync("admin@acme.example", PortalAppHost.AdminPassword);
        var scim = new ScimSettingsPage(page);
        await scim.GotoAsync("acme");
        var show = page.GetByRole(AriaRole.Button, new() { Name = "Show SCIM token", Exact = true });
        var masked = await scim.Token.InnerTextAsync();
        Assert.Contains("••••", masked, StringComparison.Ordinal);

        // SCIM calls and regenerations happen at the real time, after the clock is set back: rows stamped in the shifted
        // future would sit after other journeys' regenerations on this shared workspace.
        string token;
        host.Clock.Offset = TimeSpan.FromMinutes(20);
        try
        {
            // Escape closes the dialog, reveals nothing, and gives focus back to the button that opened it.
            await show.FocusAsync();
            await page.Keyboard.PressAsync("Enter");
            await scim.ReSignInDialog.WaitForAsync();
            await Assertions.Expect(scim.ReSignInDialog.GetByLabel("Password")).ToBeFocusedAsync();
            await page.Keyboard.PressAsync("Escape");
            await Assertions.Expect(scim.ReSignInDialog).ToHaveCountAsync(0);
            await Assertions.Expect(show).ToBeFocusedAsync();
            await Assertions.Expect(scim.Token).ToHaveTextAsync(masked);

            // Clicked: focus is in the password field, so the admin can type at once.
            await show.ClickAsync();
            await scim.ReSignInDialog.WaitForAsync();
            await Assertions.Expect(scim.ReSignInDialog.GetByLabel("Password")).ToBeFocusedAsync();
            await page.Keyboard.TypeAsync("wrong-password");
            await page.Keyboard.PressAsync("Enter");
            await Assertions.Expect(scim.ReSignInDialog).ToContainTextAsync("That password is not correct.");
            await Assertions.Expect(scim.Token).ToHaveTextAsync(masked);
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Hide SCIM token", Exact = true })).ToHaveCountAsync(0);

            // The right password completes the interrupted action: the token is shown, and it works.
            await scim.ConfirmSignInAsync(PortalAppHost.AdminPassword);
            await Assertions.Expect(scim.ReSignInDialog).ToHaveCountAsync(0);
            await page.GetByRole(AriaRole.Button, new() { Name = "Hide SCIM token", Exact = true }).WaitForAsync();
            token = (await scim.Token.InnerTextAsync()).Trim();
            Assert.StartsWith("iscim_", token, StringComparison.Ordinal);
            Assert.DoesNotContain("•", token, StringComparison.Ordinal);
        }
        finally
        {
            host.Clock.Offset = TimeSpan.Zero;
        }

        Assert.Equal(HttpStatusCode.OK, await ListUsersAsync(token));

        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_StaleSignInCopiesToken_DialogConfirmsPasswordThenTheCopyCompletes()
    {
        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync("admin@acme.example", PortalAppHost.AdminPassword);
        var scim = new ScimSettingsPage(page);
        await scim.GotoAsync("acme");
        await page.EvaluateAsync("() => navigator.clipboard.writeText('before')");

        string copied;
        host.Clock.Offset = TimeSpan.FromMinutes(20);
        try
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Copy SCIM token", Exact = true }).ClickAsync();
            await scim.ReSignInDialog.WaitForAsync();
            Assert.EndsWith(ScimSettingsPage.PathFor("acme"), page.Url, StringComparison.Ordinal);
            await Assertions.Expect(scim.ReSignInDialog).ToContainTextAsync("admin@acme.example");
            await Assertions.Expect(scim.ReSignInDialog.GetByLabel("Password")).ToBeFocusedAsync();
            await PortalAppHost.ScreenshotAsync(page, "scim-re-sign-in-dialog");

            await scim.ConfirmSignInAsync("wrong-password");
            await Assertions.Expect(scim.ReSignInDialog).ToContainTextAsync("That password is not correct.");
            Assert.Equal("before", await scim.ReadClipboardAsync());

            await scim.ConfirmSignInAsync(PortalAppHost.AdminPassword);

            await page.GetByText("SCIM token copied.").WaitForAsync();
            await Assertions.Expect(scim.ReSignInDialog).ToHaveCountAsync(0);
            copied = await scim.ReadClipboardAsync();
            Assert.StartsWith("iscim_", copied, StringComparison.Ordinal);

            // The confirmation holds for this tab: showing the token now asks nothing.
            Assert.Equal(copied, await scim.ShowTokenAsync());
            await Assertions.Expect(scim.ReSignInDialog).ToHaveCountAsync(0);
        }
        finally
        {
            host.Clock.Offset = TimeSpan.Zero;
        }

        Assert.Equal(HttpStatusCode.OK, await ListUsersAsync(copied));

        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task TwoFactorAdmin_StaleSignInRegenerates_DialogAsksPasswordAndCodeThenTheRegenerationCompletes()
    {
        string key;
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var user = new PortalUser { UserName = TwoFactorEmail, Email = TwoFactorEmail, EmailConfirmed = true, DisplayName = "Re-sign-in journey" };
            Assert.True((await users.CreateAsync(user, TwoFactorPassword)).Succeeded);
            await users.ResetAuthenticatorKeyAsync(user);
            key = (await users.GetAuthenticatorKeyAsync(user))!;
            await users.SetTwoFactorEnabledAsync(user, true);
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var acme = await db.Workspaces.SingleAsync(w => w.Slug == "acme");
            db.WorkspaceAdmins.Add(new WorkspaceAdmin { WorkspaceId = acme.Id, UserId = user.Id, Created = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        var page = await host.NewPageAsync();
        await page.GotoAsync("/Account/Login");
        await page.GetByLabel("Email").FillAsync(TwoFactorEmail);
        await page.GetByLabel("Password").FillAsync(TwoFactorPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/Account/LoginWith2fa", StringComparison.OrdinalIgnoreCase));
        await page.GetByLabel("Authenticator code").FillAsync(Totp.Compute(key, DateTimeOffset.UtcNow));
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/Account/", StringComparison.OrdinalIgnoreCase));

        var scim = new ScimSettingsPage(page);
        await scim.GotoAsync("acme");
        host.Clock.Offset = TimeSpan.FromMinutes(20);
        try
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Regenerate SCIM token", Exact = true }).ClickAsync();
            await scim.ReSignInDialog.WaitForAsync();
            await Assertions.Expect(scim.ReSignInDialog.GetByLabel("Authenticator code")).ToBeVisibleAsync();

            // The password alone is not enough for an account with two-factor authentication.
            await scim.ConfirmSignInAsync(TwoFactorPassword, "000000");
            await Assertions.Expect(scim.ReSignInDialog).ToContainTextAsync("That code is not correct");

            await scim.ConfirmSignInAsync(TwoFactorPassword, Totp.Compute(key, DateTimeOffset.UtcNow));

            // The interrupted action goes on: the regenerate dialog opens, and confirming it issues the new token.
            var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Regenerate the SCIM token" });
            await dialog.GetByText("Provisioning stops until your identity provider gets the new token").WaitForAsync();
        }
        finally
        {
            // The regeneration itself is stamped at the real time (see the first journey).
            host.Clock.Offset = TimeSpan.Zero;
        }

        var regenerate = page.GetByRole(AriaRole.Dialog, new() { Name = "Regenerate the SCIM token" });
        await ScimSettingsPage.ConfirmRegenerateAsync(regenerate, "No grace period (stops now)");
        await scim.NewToken.WaitForAsync();
        var newToken = (await scim.NewToken.InnerTextAsync()).Trim();
        Assert.Equal(HttpStatusCode.OK, await ListUsersAsync(newToken));

        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            Assert.True(await db.ProvisioningEvents.AnyAsync(e => e.Operation == ProvisioningOperation.TokenRegenerated && e.Actor == TwoFactorEmail));
            var user = await db.Users.SingleAsync(u => u.Email == TwoFactorEmail);
            Assert.Equal(0, user.AccessFailedCount);
        }

        await page.Context.CloseAsync();
    }
}
