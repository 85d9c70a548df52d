using System.Net;

using IdeaScale.Portal.Tests.Infrastructure;

namespace IdeaScale.Portal.Tests.Security;

/// <summary>
/// A sign-in cookie saved before sign-out, a password change or a 2FA reset opens nothing afterwards: the server
/// refuses it at once (issue 11, item 3).
/// </summary>
public sealed class SessionEndTests
{
    private const string Admin = "admin@nosso.example";

    private static void AssertSentToLogin(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/Account/Login", response.Headers.Location?.ToString() ?? "", StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SavedCookie_AfterSignOut_IsSentToLogin()
    {
        using var factory = new PortalFactory();
        var (client, cookie) = await FormSignIn.SignInKeepingCookieAsync(factory, Admin, PortalFactory.AdminPassword);
        using (client)
        {
            Assert.Equal(HttpStatusCode.OK, (await FormSignIn.ReplayAsync(factory, cookie, "/Account/Manage")).StatusCode);

            Assert.Equal(HttpStatusCode.Redirect, (await FormSignIn.SignOutAsync(client)).StatusCode);
        }

        AssertSentToLogin(await FormSignIn.ReplayAsync(factory, cookie, "/Account/Manage"));
        // Refused at every request, not only at the first.
        AssertSentToLogin(await FormSignIn.ReplayAsync(factory, cookie, "/workspaces/nosso/manage/members"));
    }

    [Fact]
    public async Task SavedCookie_AfterSignOutElsewhere_IsSentToLogin_AndNewSignInsWork()
    {
        using var factory = new PortalFactory();
        var (other, otherCookie) = await FormSignIn.SignInKeepingCookieAsync(factory, Admin, PortalFactory.AdminPassword);
        other.Dispose();
        using var client = await FormSignIn.SignedInClientAsync(factory, Admin, PortalFactory.AdminPassword);

        await FormSignIn.SignOutAsync(client);

        // Signing out ends every session of the account, in any browser.
        AssertSentToLogin(await FormSignIn.ReplayAsync(factory, otherCookie, "/Account/Manage"));
        using var again = await FormSignIn.SignedInClientAsync(factory, Admin, PortalFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync("/Account/Manage")).StatusCode);
    }

    [Fact]
    public async Task SavedCookie_AfterPasswordChange_IsSentToLogin_WhileTheChangingBrowserStaysSignedIn()
    {
        using var factory = new PortalFactory();
        var (client, cookie) = await FormSignIn.SignInKeepingCookieAsync(factory, Admin, PortalFactory.AdminPassword);
        using (client)
        {
            const string newPassword = "Changed-Pass-99!";
            var changed = await FormSignIn.PostFormAsync(client, "/Account/Manage/ChangePassword", "change-password", new()
            {
                ["Input.OldPassword"] = PortalFactory.AdminPassword,
                ["Input.NewPassword"] = newPassword,
                ["Input.ConfirmPassword"] = newPassword,
            });
            Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);

            AssertSentToLogin(await FormSignIn.ReplayAsync(factory, cookie, "/Account/Manage"));
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Account/Manage")).StatusCode);
        }
    }

    [Fact]
    public async Task EnableAuthenticatorPage_CreatingTheKey_KeepsThisBrowserSignedIn()
    {
        using var factory = new PortalFactory();
        var (client, cookie) = await FormSignIn.SignInKeepingCookieAsync(factory, Admin, PortalFactory.AdminPassword);
        using (client)
        {
            // The first visit creates the authenticator key, which renews the stamp: the page re-issues the cookie.
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Account/Manage/EnableAuthenticator")).StatusCode);

            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Account/Manage")).StatusCode);
            AssertSentToLogin(await FormSignIn.ReplayAsync(factory, cookie, "/Account/Manage"));
        }
    }

    [Fact]
    public async Task LateRequestWithTheCookieFromBeforeTheStampChanged_DoesNotSignOutTheBrowserThatChangedIt()
    {
        using var factory = new PortalFactory();
        var (client, before) = await FormSignIn.SignInKeepingCookieAsync(factory, Admin, PortalFactory.AdminPassword);
        using (client)
        {
            // The browser opens the page that creates the authenticator key: the stamp is renewed, a new cookie issued.
            var page = await client.GetAsync("/Account/Manage/EnableAuthenticator");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.NotEqual(before, FormSignIn.IdentityCookie(page));

            // A request the same browser sent with the old cookie just before (the previous page's circuit starting)
            // is answered now: it is refused, and its answer must not remove the cookie, which by now is the new one.
            var late = await FormSignIn.ReplayAsync(factory, before, "/Account/Manage");
            AssertSentToLogin(late);
            Assert.DoesNotContain(late.Headers.TryGetValues("Set-Cookie", out var set) ? set : [],
                c => c.StartsWith(".AspNetCore.Identity.Application=", StringComparison.Ordinal));

            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Account/Manage")).StatusCode);
        }
    }

    [Fact]
    public async Task SavedCookie_AfterAuthenticatorReset_IsSentToLogin()
    {
        using var factory = new PortalFactory();
        var (client, cookie) = await FormSignIn.SignInKeepingCookieAsync(factory, Admin, PortalFactory.AdminPassword);
        using (client)
        {
            var reset = await FormSignIn.PostFormAsync(client, "/Account/Manage/ResetAuthenticator", "reset-authenticator", []);
            Assert.Equal(HttpStatusCode.Redirect, reset.StatusCode);

            AssertSentToLogin(await FormSignIn.ReplayAsync(factory, cookie, "/Account/Manage"));
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Account/Manage")).StatusCode);
        }
    }
}
