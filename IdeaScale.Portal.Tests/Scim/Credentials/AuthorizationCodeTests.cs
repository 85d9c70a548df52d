using System.Net;
using System.Text;
using System.Text.Json;

using IdeaScale.Portal.Scim.Credentials.AuthorizationCode;
using IdeaScale.Portal.Scim.Credentials.OAuth;
using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.EntityFrameworkCore;

using static IdeaScale.Portal.Tests.Scim.Credentials.AuthorizationCodeKit;
using static IdeaScale.Portal.Tests.Scim.Credentials.OAuth.OAuthTestKit;

namespace IdeaScale.Portal.Tests.Scim.Credentials;

/// <summary>
/// Okta's authorization code grant against the real app and real OpenIddict: a platform client from configuration,
/// sign-in and consent for one of the account's workspaces, PKCE, tokens bound to that workspace, rolling refresh
/// tokens with a reuse leeway and an idle expiry on the app's clock, revoke, and the refusals.
/// </summary>
public sealed class AuthorizationCodeTests : IDisposable
{
    private const string UsersPath = "scim/v2/Users?count=1";
    private readonly AccessFactory factory = AccessFactory.With(OktaClient());

    public void Dispose() => factory.Dispose();

    private Task<Guid> WorkspaceIdAsync(string slug) => factory.WithDbAsync(db => db.Workspaces.Where(w => w.Slug == slug).Select(w => w.Id).SingleAsync());

    /// <summary>Signs in as ides's admin, consents for ides and exchanges the code.</summary>
    private async Task<(string Access, string Refresh)> ConnectIdesAsync()
    {
        using var browser = await SignedInAsync(factory, DemoSeeder.AdminEmail("ides"));
        var pkce = NewPkce();
        var code = await CodeAsync(browser, pkce, await WorkspaceIdAsync("ides"));
        using var okta = factory.Scim();
        return await TokensAsync(await ExchangeCodeAsync(okta, code, pkce.Verifier));
    }

    [Fact]
    public async Task Metadata_lists_the_authorization_endpoint_with_S256_only_and_the_refresh_grant()
    {
        using var client = factory.Scim();
        var body = JsonDocument.Parse(await client.GetStringAsync(".well-known/oauth-authorization-server")).RootElement;
        Assert.Equal("http://localhost/oauth/authorize", body.GetProperty("authorization_endpoint").GetString());
        Assert.Equal(["S256"], body.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(e => e.GetString()));
        var grants = body.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("authorization_code", grants);
        Assert.Contains("refresh_token", grants);
        Assert.Contains("offline_access", body.GetProperty("scopes_supported").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Without_a_portal_sign_in_the_authorize_request_goes_to_the_sign_in_page_and_back()
    {
        using var anonymous = FormSignIn.NewClient(factory);
        var url = AuthorizeUrl(NewPkce());
        var response = await anonymous.GetAsync(url);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.Contains("/Account/Login", location, StringComparison.Ordinal);
        Assert.Contains(Uri.EscapeDataString("/" + url), location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Code_with_PKCE_gives_tokens_bound_to_the_chosen_workspace_and_the_consent_is_audited()
    {
        var (access, refresh) = await ConnectIdesAsync();
        Assert.NotEmpty(refresh);

        using var scim = factory.Scim(bearer: access);
        ScimAssert.Ok(await scim.GetAsync(UsersPath));
        using var onAcme = factory.Scim(bearer: access, host: "acme.localhost");
        await ScimAssert.ErrorAsync(await onAcme.GetAsync(UsersPath), 401);

        var consent = (await factory.EventsAsync()).Single(e => e.Operation == ProvisioningOperation.OAuthGrantConsented);
        Assert.Equal(EventOutcome.Success, consent.Outcome);
        Assert.Equal(DemoSeeder.AdminEmail("ides"), consent.Actor);
        Assert.Equal(await WorkspaceIdAsync("ides"), consent.WorkspaceId);
        Assert.Contains("Okta", consent.Summary, StringComparison.Ordinal);

        var grant = await factory.WithDbAsync(db => db.ScimOAuthGrants.AsNoTracking().SingleAsync());
        Assert.Equal(DemoSeeder.AdminEmail("ides"), grant.ConsentedBy);
        Assert.Equal(ClientId, grant.ClientId);
    }

    [Fact]
    public async Task SCIM_disabled_answers_the_same_403_as_for_the_secret_token()
    {
        var (access, _) = await ConnectIdesAsync();
        using var oauth = factory.Scim(bearer: access);
        using var secret = factory.Scim(bearer: PortalFactory.IdesToken);
        await factory.Get<IdeaScale.Portal.Workspaces.ScimAdministration>().SetScimEnabledAsync(await factory.PrincipalAsync(DemoSeeder.CsmEmail), "ides", false, "Contract paused");
        var a = await ScimAssert.ErrorAsync(await oauth.GetAsync(UsersPath), 403);
        var b = await ScimAssert.ErrorAsync(await secret.GetAsync(UsersPath), 403);
        Assert.Equal(b.GetProperty("detail").GetString(), a.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_code_works_once_and_only_with_its_verifier()
    {
        using var browser = await SignedInAsync(factory, DemoSeeder.AdminEmail("ides"));
        var pkce = NewPkce();
        var code = await CodeAsync(browser, pkce, await WorkspaceIdAsync("ides"));
        using var okta = factory.Scim();
        Assert.Equal("invalid_grant", await ErrorAsync(await ExchangeCodeAsync(okta, code, NewPkce().Verifier)));

        var second = await CodeAsync(browser, pkce, await WorkspaceIdAsync("ides"));
        await TokensAsync(await ExchangeCodeAsync(okta, second, pkce.Verifier));
        Assert.Equal("invalid_grant", await ErrorAsync(await ExchangeCodeAsync(okta, second, pkce.Verifier)));
    }

    [Fact]
    public async Task A_redirect_uri_that_is_not_registered_is_refused_without_a_redirect()
    {
        using var browser = await SignedInAsync(factory, DemoSeeder.AdminEmail("ides"));
        foreach (var uri in new[] { "http://127.0.0.1:9/elsewhere", RedirectUri + "/more", "https://evil.example/callback" })
        {
            var response = await browser.GetAsync(AuthorizeUrl(NewPkce(), redirectUri: uri));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Null(response.Headers.Location);
            Assert.Contains("invalid_request", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Missing_PKCE_or_the_plain_method_is_refused()
    {
        using var browser = await SignedInAsync(factory, DemoSeeder.AdminEmail("ides"));
        foreach (var url in new[] { AuthorizeUrl(null), AuthorizeUrl(NewPkce(), method: "plain"), AuthorizeUrl(NewPkce(), method: null) })
        {
            // OpenIddict answers invalid_request itself (400) or at the registered redirect URI; never a consent page or a code.
            var response = await browser.GetAsync(url);
            var answer = response.Headers.Location?.ToString() ?? await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Redirect, $"{(int)response.StatusCode} {answer}");
            Assert.Contains("invalid_request", answer, StringComparison.Ordinal);
            Assert.DoesNotContain("code=", answer, StringComparison.Ordinal);
            Assert.DoesNotContain("oauth-consent", answer, StringComparison.Ordinal);
        }

        // The token endpoint refuses a code exchange without the verifier.
        var pkce = NewPkce();
        var code = await CodeAsync(browser, pkce, await WorkspaceIdAsync("ides"));
        using var okta = factory.Scim();
        var noVerifier = await okta.PostAsync(TokenPath, Form(("grant_type", "authorization_code"), ("code", code), ("redirect_uri", RedirectUri),
            ("client_id", ClientId), ("client_secret", ClientSecret)));
        Assert.Equal("invalid_request", await ErrorAsync(noVerifier));
    }

    [Fact]
    public async Task An_account_cannot_pick_a_workspace_it_does_not_administer_and_the_attempt_is_audited()
    {
        using var browser = await SignedInAsync(factory, DemoSeeder.AdminEmail("ides"));
        var hidden = await OpenConsentAsync(browser, AuthorizeUrl(NewPkce()));
        var consentPage = await (await browser.GetAsync(AuthorizeUrl(NewPkce()))).Content.ReadAsStringAsync();
        var acme = await WorkspaceIdAsync("acme");
        Assert.DoesNotContain(acme.ToString(), consentPage, StringComparison.Ordinal);
        Assert.Contains((await WorkspaceIdAsync("ides")).ToString(), consentPage, StringComparison.Ordinal);

        // A crafted post with acme's id: back to the consent page with the reason, no code.
        var crafted = await DecideAsync(browser, hidden, "approve", acme);
        Assert.Equal(HttpStatusCode.SeeOther, crafted.StatusCode);
        var back = crafted.Headers.Location!.ToString();
        Assert.StartsWith("/oauth/authorize?", back, StringComparison.Ordinal);
        Assert.Contains("consent_error=not_allowed", back, StringComparison.Ordinal);
        Assert.DoesNotContain("__RequestVerificationToken", back, StringComparison.Ordinal);
        Assert.Contains("not one of its administrators", await browser.GetStringAsync(back), StringComparison.Ordinal);

        // No workspace picked: back with "choose".
        var none = await DecideAsync(browser, hidden, "approve", null);
        Assert.Contains("consent_error=pick", none.Headers.Location!.ToString(), StringComparison.Ordinal);

        Assert.Equal(0, await factory.WithDbAsync(db => db.ScimOAuthGrants.CountAsync()));
        var refused = (await factory.EventsAsync()).Single(e => e.Operation == ProvisioningOperation.OAuthGrantConsented);
        Assert.Equal((EventOutcome.Failure, acme, DemoSeeder.AdminEmail("ides")), (refused.Outcome, refused.WorkspaceId!.Value, refused.Actor));
    }

    [Fact]
    public async Task A_workspace_without_SCIM_or_SSO_cannot_be_picked_and_the_page_says_why()
    {
        // nosso has no SSO and SCIM off; its admin has nothing to connect.
        using var browser = await SignedInAsync(factory, DemoSeeder.AdminEmail("nosso"));
        var html = await (await browser.GetAsync(AuthorizeUrl(NewPkce()))).Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"consent-no-workspace\"", html, StringComparison.Ordinal);
        Assert.Contains("Single sign-on is not active.", html, StringComparison.Ordinal);
        Assert.DoesNotContain(">Allow access<", html, StringComparison.Ordinal);

        var hidden = HiddenFields(html);
        var crafted = await DecideAsync(browser, hidden, "approve", await WorkspaceIdAsync("nosso"));
        Assert.Contains("consent_error=not_allowed", crafted.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, await factory.WithDbAsync(db => db.ScimOAuthGrants.CountAsync()));
    }

    [Fact]
    public async Task Deny_redirects_to_the_client_with_access_denied_and_grants_nothing()
    {
        using var browser = await SignedInAsync(factory, DemoSeeder.AdminEmail("ides"));
        var hidden = await OpenConsentAsync(browser, AuthorizeUrl(NewPkce()));
        var callback = CallbackParameters(await DecideAsync(browser, hidden, "deny", null));
        Assert.Equal("access_denied", callback["error"]);
        Assert.Equal("state-123", callback["state"]);
        Assert.Equal(0, await factory.WithDbAsync(db => db.ScimOAuthGrants.CountAsync()));
    }

    [Fact]
    public async Task The_consent_form_needs_its_antiforgery_token()
    {
        using var browser = await SignedInAsync(factory, DemoSeeder.AdminEmail("ides"));
        var hidden = await OpenConsentAsync(browser, AuthorizeUrl(NewPkce()));
        hidden.Remove("__RequestVerificationToken");
        var response = await DecideAsync(browser, hidden, "approve", await WorkspaceIdAsync("ides"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, await factory.WithDbAsync(db => db.ScimOAuthGrants.CountAsync()));
    }

    [Fact]
    public async Task The_consent_page_lets_its_form_redirect_to_the_registered_client_only()
    {
        using var browser = await SignedInAsync(factory, DemoSeeder.AdminEmail("ides"));
        var page = await browser.GetAsync(AuthorizeUrl(NewPkce()));
        var csp = string.Join(' ', page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("form-action 'self' http://127.0.0.1:9;", csp, StringComparison.Ordinal);
        var other = await browser.GetAsync("Account/Manage/ChangePassword");
        Assert.Contains("form-action 'self';", string.Join(' ', other.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refresh_rotates_and_the_previous_refresh_token_works_inside_the_leeway_only()
    {
        var (_, first) = await ConnectIdesAsync();
        using var okta = factory.Scim();
        var (access2, second) = await TokensAsync(await RefreshAsync(okta, first));
        Assert.NotEqual(first, second);
        using var scim = factory.Scim(bearer: access2);
        ScimAssert.Ok(await scim.GetAsync(UsersPath));

        // Okta lost the answer and retries with the same refresh token: inside the leeway (30 s) it still works.
        factory.Time.Advance(TimeSpan.FromSeconds(20));
        await TokensAsync(await RefreshAsync(okta, first));

        // Outside the leeway it is a replay: refused, and OpenIddict stops the grant's tokens, which the SCIM page says.
        factory.Time.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal("invalid_grant", await ErrorAsync(await RefreshAsync(okta, first)));
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        Assert.Equal(OAuthGrantState.Stopped, Assert.Single(await factory.Get<OAuthGrants>().ListAsync(admin, "ides")).State);
    }

    [Fact]
    public async Task A_refresh_token_unused_for_the_idle_days_expires_and_each_use_renews_it()
    {
        var (_, refresh) = await ConnectIdesAsync();
        using var okta = factory.Scim();

        factory.Time.Advance(TimeSpan.FromDays(89));
        var (access, renewed) = await TokensAsync(await RefreshAsync(okta, refresh));
        using var scim = factory.Scim(bearer: access);
        ScimAssert.Ok(await scim.GetAsync(UsersPath));

        // 89 more days: more than 90 after the consent, but the renewed token was used 89 days ago.
        factory.Time.Advance(TimeSpan.FromDays(89));
        var (_, third) = await TokensAsync(await RefreshAsync(okta, renewed));

        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var grants = factory.Get<OAuthGrants>();
        Assert.Equal(OAuthGrantState.Active, Assert.Single(await grants.ListAsync(admin, "ides")).State);

        factory.Time.Advance(TimeSpan.FromDays(91));
        Assert.Equal("invalid_grant", await ErrorAsync(await RefreshAsync(okta, third)));
        Assert.Equal(OAuthGrantState.Expired, Assert.Single(await grants.ListAsync(admin, "ides")).State);
    }

    [Fact]
    public async Task Revoking_the_grant_gives_401_on_the_next_SCIM_request_and_invalid_grant_on_refresh_and_is_audited()
    {
        var (access, refresh) = await ConnectIdesAsync();
        using var scim = factory.Scim(bearer: access);
        ScimAssert.Ok(await scim.GetAsync(UsersPath));
        await factory.FlushAsync();

        var grants = factory.Get<OAuthGrants>();
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var listed = Assert.Single(await grants.ListAsync(admin, "ides"));
        Assert.Equal(("Okta", DemoSeeder.AdminEmail("ides")), (listed.ClientDisplayName, listed.ConsentedBy));
        Assert.NotNull(listed.LastUse);

        // Another workspace's admin and the CSM cannot revoke it; the CSM may see it.
        var acmeAdmin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("acme"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => grants.RevokeAsync(acmeAdmin, "ides", listed.Id));
        var csm = await factory.PrincipalAsync(DemoSeeder.CsmEmail);
        Assert.Single(await grants.ListAsync(csm, "ides"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => grants.RevokeAsync(csm, "ides", listed.Id));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => grants.ListAsync(acmeAdmin, "ides"));
        ScimAssert.Ok(await scim.GetAsync(UsersPath));

        await grants.RevokeAsync(admin, "ides", listed.Id);

        await ScimAssert.ErrorAsync(await scim.GetAsync(UsersPath), 401);
        using var okta = factory.Scim();
        Assert.Equal("invalid_grant", await ErrorAsync(await RefreshAsync(okta, refresh)));
        Assert.Empty(await grants.ListAsync(admin, "ides"));

        var events = (await factory.EventsAsync()).Where(e => e.Operation == ProvisioningOperation.OAuthGrantRevoked).ToList();
        Assert.Equal([(EventOutcome.Failure, DemoSeeder.AdminEmail("acme")), (EventOutcome.Failure, DemoSeeder.CsmEmail), (EventOutcome.Success, DemoSeeder.AdminEmail("ides"))],
            events.Select(e => (e.Outcome, e.Actor)));
    }

    [Fact]
    public async Task The_platform_client_is_hashed_and_resynced_when_its_configuration_changes()
    {
        const string newSecret = "okta-rotated-secret-abcdefghijklmnopqrstuvwxyz012345";
        var (_, refresh) = await ConnectIdesAsync();
        var stored = await factory.WithDbAsync(db => db.Set<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication>()
            .AsNoTracking().SingleAsync(a => a.ClientId == ClientId));
        Assert.DoesNotContain(ClientSecret, stored.ClientSecret!, StringComparison.Ordinal);
        var hash = stored.ClientSecret;

        var sync = factory.Get<OAuthPlatformClients>();
        var options = new OAuthOptions();
        options.Clients["okta"] = new OAuthPlatformClientOptions { ClientId = ClientId, ClientSecret = ClientSecret, DisplayName = "Okta", RedirectUris = [RedirectUri] };
        await sync.SyncAsync(options, default);
        Assert.Equal(hash, await factory.WithDbAsync(db => db.Set<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication>()
            .Where(a => a.ClientId == ClientId).Select(a => a.ClientSecret).SingleAsync()));

        options.Clients["okta"].ClientSecret = newSecret;
        await sync.SyncAsync(options, default);
        using var okta = factory.Scim();
        Assert.Equal("invalid_client", await ErrorAsync(await RefreshAsync(okta, refresh)));
        var rotated = await okta.PostAsync(TokenPath, Form(("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", ClientId), ("client_secret", newSecret)));
        await TokensAsync(rotated);

        // Removed from the configuration: the client and its grants are gone.
        await sync.SyncAsync(new OAuthOptions(), default);
        Assert.Equal(0, await factory.WithDbAsync(db => db.ScimOAuthGrants.CountAsync()));
        using var browser = await SignedInAsync(factory, DemoSeeder.AdminEmail("ides"));
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetAsync(AuthorizeUrl(NewPkce()))).StatusCode);
    }

    [Fact]
    [Trait("Provider", "Sqlite")]
    public async Task No_code_refresh_token_or_client_secret_appears_in_the_log_or_the_database_in_clear()
    {
        using var browser = await SignedInAsync(factory, DemoSeeder.AdminEmail("ides"));
        var pkce = NewPkce();
        var code = await CodeAsync(browser, pkce, await WorkspaceIdAsync("ides"));
        using var okta = factory.Scim();
        var (access, refresh) = await TokensAsync(await ExchangeCodeAsync(okta, code, pkce.Verifier));
        var (_, refreshed) = await TokensAsync(await RefreshAsync(okta, refresh));
        using var scim = factory.Scim(bearer: access);
        ScimAssert.Ok(await scim.GetAsync(UsersPath));
        await factory.FlushAsync();

        var logs = factory.Logs.All;
        foreach (var secret in new[] { code, refresh, refreshed, ClientSecret, pkce.Verifier, access.Split('.')[2] })
        {
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
        }

        factory.Dispose();
        var database = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(factory.DatabasePath))
            + (File.Exists(factory.DatabasePath + "-wal") ? Encoding.Latin1.GetString(await File.ReadAllBytesAsync(factory.DatabasePath + "-wal")) : "");
        foreach (var secret in new[] { code, refresh, refreshed, ClientSecret, pkce.Verifier, access.Split('.')[2] })
        {
            Assert.DoesNotContain(secret, database, StringComparison.Ordinal);
        }
    }
}
