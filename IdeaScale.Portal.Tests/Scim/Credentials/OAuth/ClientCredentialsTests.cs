using System.Net;
using System.Text.Json;

using IdeaScale.Portal.Scim.Credentials.OAuth;
using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.EntityFrameworkCore;

using static IdeaScale.Portal.Tests.Scim.Credentials.OAuth.OAuthTestKit;

namespace IdeaScale.Portal.Tests.Scim.Credentials.OAuth;

/// <summary>
/// The client-credentials grant as Entra uses it, against the real app and real OpenIddict: metadata, basic and post,
/// wrong/expired/removed secrets, token expiry on the app's clock, workspace binding, revocation on the next request.
/// </summary>
public sealed class ClientCredentialsTests : IDisposable
{
    private const string UsersPath = "scim/v2/Users?count=1";
    private readonly AccessFactory factory = AccessFactory.With(new Dictionary<string, string?> { ["Scim:RateLimit:RequestsPerSecond"] = "0" });

    public void Dispose() => factory.Dispose();

    [Theory]
    [InlineData(".well-known/oauth-authorization-server")]
    [InlineData(".well-known/openid-configuration")]
    public async Task Metadata_names_the_token_endpoint_and_both_secret_methods(string path)
    {
        using var client = factory.Scim();
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("http://localhost/oauth/token", body.GetProperty("token_endpoint").GetString());
        var methods = body.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("client_secret_basic", methods);
        Assert.Contains("client_secret_post", methods);
        Assert.Contains("client_credentials", body.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Basic_and_post_both_issue_an_access_token_that_SCIM_accepts()
    {
        using var client = factory.Scim();
        foreach (var response in new[]
        {
            await RequestTokenBasicAsync(client, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret),
            await RequestTokenPostAsync(client, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret, scope: "scim"),
        })
        {
            var token = await AccessTokenAsync(response);
            using var scim = factory.Scim(bearer: token);
            ScimAssert.Ok(await scim.GetAsync(UsersPath));
        }
    }

    [Fact]
    public async Task Access_token_lives_60_minutes_by_default_on_the_app_clock()
    {
        using var client = factory.Scim();
        var response = await RequestTokenBasicAsync(client, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.InRange(body.GetProperty("expires_in").GetInt32(), 3590, 3600);
        using var scim = factory.Scim(bearer: body.GetProperty("access_token").GetString());

        factory.Time.Advance(TimeSpan.FromMinutes(59));
        ScimAssert.Ok(await scim.GetAsync(UsersPath));

        factory.Time.Advance(TimeSpan.FromMinutes(2));
        var expired = await ScimAssert.ErrorAsync(await scim.GetAsync(UsersPath), 401);
        Assert.NotNull(expired.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Wrong_secret_unknown_client_and_unsupported_grant_answer_standard_errors_alike()
    {
        using var client = factory.Scim();
        var wrongSecret = await RequestTokenBasicAsync(client, PortalFactory.IdesOAuthClientId, "iscs_wrong");
        var wrongPost = await RequestTokenPostAsync(client, PortalFactory.IdesOAuthClientId, "iscs_wrong");
        var unknown = await RequestTokenPostAsync(client, "nobody-0000", PortalFactory.IdesOAuthSecret);
        Assert.Equal("invalid_client", await ErrorAsync(wrongSecret));
        Assert.Equal("invalid_client", await ErrorAsync(wrongPost));
        Assert.Equal("invalid_client", await ErrorAsync(unknown));
        Assert.Equal(await Description(await RequestTokenPostAsync(client, PortalFactory.IdesOAuthClientId, "iscs_wrong")),
            await Description(await RequestTokenPostAsync(client, "nobody-0000", PortalFactory.IdesOAuthSecret)));

        var password = await RequestTokenPostAsync(client, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret, grantType: "password");
        Assert.Equal("unsupported_grant_type", await ErrorAsync(password));
    }

    private static async Task<string?> Description(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error_description").GetString();

    [Fact]
    public async Task An_expired_secret_no_longer_obtains_tokens()
    {
        using var client = factory.Scim();
        await AccessTokenAsync(await RequestTokenBasicAsync(client, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret));

        // The seeded secret lives 730 days.
        factory.Time.Advance(TimeSpan.FromDays(731));
        Assert.Equal("invalid_client", await ErrorAsync(await RequestTokenBasicAsync(client, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret)));
    }

    [Fact]
    public async Task Two_active_secrets_both_work_and_removing_one_stops_only_it_including_its_tokens()
    {
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var administration = factory.Get<OAuthClientAdministration>();
        var second = await administration.AddSecretAsync(admin, "ides", 365);
        Assert.Equal(PortalFactory.IdesOAuthClientId, second.ClientId);

        using var client = factory.Scim();
        var firstToken = await AccessTokenAsync(await RequestTokenBasicAsync(client, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret));
        var secondToken = await AccessTokenAsync(await RequestTokenPostAsync(client, PortalFactory.IdesOAuthClientId, second.Secret));
        using var firstScim = factory.Scim(bearer: firstToken);
        using var secondScim = factory.Scim(bearer: secondToken);
        ScimAssert.Ok(await firstScim.GetAsync(UsersPath));
        ScimAssert.Ok(await secondScim.GetAsync(UsersPath));

        // A third active secret is refused.
        await Assert.ThrowsAsync<InvalidOperationException>(() => administration.AddSecretAsync(admin, "ides", 365));

        var view = await administration.GetAsync(admin, "ides");
        var original = view!.ActiveSecrets.Single(s => s.Hint == PortalFactory.IdesOAuthSecret[^4..]);
        await administration.RemoveSecretAsync(admin, "ides", original.Id);

        Assert.Equal("invalid_client", await ErrorAsync(await RequestTokenBasicAsync(client, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret)));
        await ScimAssert.ErrorAsync(await firstScim.GetAsync(UsersPath), 401);
        ScimAssert.Ok(await secondScim.GetAsync(UsersPath));
        await AccessTokenAsync(await RequestTokenBasicAsync(client, PortalFactory.IdesOAuthClientId, second.Secret));
    }

    [Fact]
    public async Task Deleting_the_client_stops_its_access_tokens_on_the_next_request()
    {
        using var client = factory.Scim();
        using var scim = factory.Scim(bearer: await IdesAccessTokenAsync(client));
        ScimAssert.Ok(await scim.GetAsync(UsersPath));

        await factory.Get<OAuthClientAdministration>().DeleteAsync(await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides")), "ides");

        await ScimAssert.ErrorAsync(await scim.GetAsync(UsersPath), 401);
        Assert.Equal("invalid_client", await ErrorAsync(await RequestTokenBasicAsync(client, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret)));
        Assert.Equal(0, await factory.WithDbAsync(db => db.Set<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication>().CountAsync(a => a.ClientId == PortalFactory.IdesOAuthClientId)));
    }

    [Fact]
    public async Task An_ides_access_token_on_acmes_host_gets_401()
    {
        // The IdP asks the token endpoint on the workspace's own host, as its metadata names it.
        using var client = factory.Scim(host: "ides.localhost");
        var token = await IdesAccessTokenAsync(client);
        using var onAcme = factory.Scim(bearer: token, host: "acme.localhost");
        await ScimAssert.ErrorAsync(await onAcme.GetAsync(UsersPath), 401);
        using var onIdes = factory.Scim(bearer: token, host: "ides.localhost");
        ScimAssert.Ok(await onIdes.GetAsync(UsersPath));
    }

    [Fact]
    public async Task A_token_in_the_query_string_is_refused()
    {
        using var client = factory.Scim();
        var token = await IdesAccessTokenAsync(client);
        using var scim = factory.Scim(bearer: token);
        await ScimAssert.ErrorAsync(await scim.GetAsync(UsersPath + "&access_token=" + token), 401);
    }

    [Fact]
    public async Task SCIM_disabled_or_SSO_inactive_answers_the_same_403_as_for_the_secret_token()
    {
        using var client = factory.Scim();
        using var oauth = factory.Scim(bearer: await IdesAccessTokenAsync(client));
        using var secret = factory.Scim(bearer: PortalFactory.IdesToken);
        var csm = await factory.PrincipalAsync(DemoSeeder.CsmEmail);

        await factory.Get<IdeaScale.Portal.Workspaces.ScimAdministration>().SetScimEnabledAsync(csm, "ides", false, "Contract paused");
        var a = await ScimAssert.ErrorAsync(await oauth.GetAsync(UsersPath), 403);
        var b = await ScimAssert.ErrorAsync(await secret.GetAsync(UsersPath), 403);
        Assert.Equal(b.GetProperty("detail").GetString(), a.GetProperty("detail").GetString());

        await factory.Get<IdeaScale.Portal.Workspaces.ScimAdministration>().SetScimEnabledAsync(csm, "ides", true);
        ScimAssert.Ok(await oauth.GetAsync(UsersPath));

        await factory.WithDbAsync(db => db.SsoConfigurations.Where(s => s.Workspace!.Slug == "ides").ExecuteUpdateAsync(s => s.SetProperty(x => x.Active, false)));
        var c = await ScimAssert.ErrorAsync(await oauth.GetAsync(UsersPath), 403);
        var d = await ScimAssert.ErrorAsync(await secret.GetAsync(UsersPath), 403);
        Assert.Equal(d.GetProperty("detail").GetString(), c.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Last_use_is_recorded_per_client()
    {
        using var client = factory.Scim();
        using var scim = factory.Scim(bearer: await IdesAccessTokenAsync(client));
        scim.DefaultRequestHeaders.UserAgent.ParseAdd("Azure AD SCIM Provisioning");
        ScimAssert.Ok(await scim.GetAsync(UsersPath));
        await factory.FlushAsync();

        var stored = await factory.WithDbAsync(db => db.ScimOAuthClients.AsNoTracking().SingleAsync(c => c.ClientId == PortalFactory.IdesOAuthClientId));
        Assert.Equal(factory.Time.GetUtcNow().UtcDateTime, stored.LastUsedAt!.Value, TimeSpan.FromSeconds(1));
        Assert.Equal("Microsoft Entra ID", stored.LastUsedClient);
        var view = await factory.Get<OAuthClientAdministration>().GetAsync(await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides")), "ides");
        Assert.Equal("Microsoft Entra ID", view!.LastUse!.Client);
    }

    [Fact]
    public async Task ServiceProviderConfig_lists_oauth_beside_the_token_and_basic()
    {
        using var scim = factory.Scim(bearer: PortalFactory.IdesToken);
        var body = JsonDocument.Parse(await (await scim.GetAsync("scim/v2/ServiceProviderConfig")).Content.ReadAsStringAsync()).RootElement;
        var schemes = body.GetProperty("authenticationSchemes").EnumerateArray().ToList();
        Assert.Contains(schemes, s => s.GetProperty("type").GetString() == "oauthbearertoken" && s.GetProperty("name").GetString()!.Contains("OAuth", StringComparison.Ordinal));
        Assert.Contains(schemes, s => s.GetProperty("type").GetString() == "httpbasic");
        Assert.Equal(2, schemes.Count(s => s.GetProperty("type").GetString() == "oauthbearertoken"));
    }
}
