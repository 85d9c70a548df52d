using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;

using IdeaScale.Portal.Scim.Credentials.OAuth;
using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

using static IdeaScale.Portal.Tests.Scim.Credentials.OAuth.OAuthTestKit;

namespace IdeaScale.Portal.Tests.Scim.Credentials.OAuth;

/// <summary>
/// Workload identity federation as Entra uses it (issue 12 item 4): the IdP's tenant signs a client assertion with a
/// key it publishes as JWKS. Here the tenant is a second Kestrel host on loopback serving a test RSA key; the app
/// fetches that JWKS over real HTTP and OpenIddict runs its real client authentication with our handler in it.
/// </summary>
public sealed class WorkloadIdentityFederationTests : IAsyncLifetime
{
    private const string UsersPath = "scim/v2/Users?count=1";
    private const string Subject = "9b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
    private const string Audience = "api://AzureADTokenExchange";
    private const string KeyId = "tenant-key-1";

    private readonly RSA tenantKey = RSA.Create(2048);
    private readonly RSA strangerKey = RSA.Create(2048);
    private readonly AccessFactory factory = AccessFactory.With(new Dictionary<string, string?>
    {
        ["Scim:RateLimit:RequestsPerSecond"] = "0",
        ["OAuth:TokenRateLimit:PerClientPerMinute"] = "0",
        ["OAuth:TokenRateLimit:PerIpPerMinute"] = "0",
        // The test tenant serves its JWKS on loopback over plain HTTP.
        ["OAuth:Federation:AllowHttpJwks"] = "true",
        // Generous for a loaded machine (the tenant answers at once); the slow JWKS never answers, so it still times out.
        ["OAuth:Federation:JwksTimeout"] = "00:00:10",
    });

    private WebApplication tenant = null!;
    private string tenantUrl = "";
    private string Issuer => tenantUrl + "/tenant/v2.0";
    private string JwksUrl => tenantUrl + "/tenant/keys";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        tenant = builder.Build();
        var jwks = Jwks(tenantKey, KeyId);
        tenant.MapGet("/tenant/keys", () => Results.Text(jwks, "application/json"));
        tenant.MapGet("/tenant/slow", async (HttpContext c) =>
        {
            await Task.Delay(Timeout.Infinite, c.RequestAborted);
            return Results.Text(jwks, "application/json");
        });
        tenant.MapGet("/tenant/redirect", () => Results.Redirect("/tenant/keys"));
        tenant.MapGet("/tenant/huge", () => Results.Text("{\"keys\":[" + new string(' ', 200_000) + "]}", "application/json"));
        await tenant.StartAsync();
        tenantUrl = tenant.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }

    public async Task DisposeAsync()
    {
        await tenant.DisposeAsync();
        factory.Dispose();
        tenantKey.Dispose();
        strangerKey.Dispose();
    }

    [Fact]
    public async Task A_right_assertion_obtains_a_token_that_SCIM_accepts_and_nothing_is_logged_in_clear()
    {
        await FederateAsync();
        using var client = factory.Scim();
        var assertion = Assertion();

        var response = await RequestWithAssertionAsync(client, assertion);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var token = await AccessTokenAsync(response);

        using var scim = factory.Scim(bearer: token);
        ScimAssert.Ok(await scim.GetAsync(UsersPath));
        Assert.DoesNotContain(assertion, factory.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(token, factory.Logs.All, StringComparison.Ordinal);
    }

    public static TheoryData<string> WrongParts => ["issuer", "subject", "audience", "signature", "unknown key id", "no key id, stranger's key", "not before", "expired"];

    [Theory]
    [MemberData(nameof(WrongParts))]
    public async Task A_wrong_assertion_answers_invalid_client_without_saying_what_was_wrong(string wrong)
    {
        await FederateAsync();
        using var client = factory.Scim();
        var now = factory.Time.GetUtcNow().UtcDateTime;
        var assertion = wrong switch
        {
            "issuer" => Assertion(issuer: tenantUrl + "/other-tenant/v2.0"),
            "subject" => Assertion(subject: "00000000-0000-0000-0000-000000000001"),
            "audience" => Assertion(audience: "api://someone-else"),
            "signature" => Assertion(key: strangerKey),
            "unknown key id" => Assertion(keyId: "tenant-key-2"),
            "no key id, stranger's key" => Assertion(key: strangerKey, keyId: null),
            // Beyond the 2-minute skew on either side.
            "not before" => Assertion(notBefore: now.AddMinutes(5), expires: now.AddMinutes(15)),
            "expired" => Assertion(notBefore: now.AddMinutes(-20), expires: now.AddMinutes(-5)),
            _ => throw new ArgumentOutOfRangeException(nameof(wrong)),
        };

        var response = await RequestWithAssertionAsync(client, assertion);
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, $"{(int)response.StatusCode}");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
        Assert.Equal(OAuthServerSetup.InvalidClientDescription, body.GetProperty("error_description").GetString());
        Assert.DoesNotContain(assertion, factory.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_assertion_that_expires_on_the_app_clock_stops_working()
    {
        await FederateAsync();
        using var client = factory.Scim();
        var assertion = Assertion();
        await AccessTokenAsync(await RequestWithAssertionAsync(client, assertion));

        factory.Time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromMinutes(3));
        Assert.Equal("invalid_client", await ErrorAsync(await RequestWithAssertionAsync(client, assertion)));
    }

    [Theory]
    [InlineData("/tenant/slow")]
    [InlineData("/tenant/redirect")]
    [InlineData("/tenant/huge")]
    [InlineData("/tenant/missing")]
    public async Task A_JWKS_URL_that_times_out_redirects_is_too_large_or_fails_answers_invalid_client(string path)
    {
        await FederateAsync(jwksUrl: tenantUrl + path);
        using var client = factory.Scim();

        var response = await RequestWithAssertionAsync(client, Assertion());
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, $"{(int)response.StatusCode}");
        Assert.Equal("invalid_client", await ErrorAsync(response));
    }

    [Fact]
    public async Task Changing_or_removing_the_settings_stops_the_tokens_obtained_with_them_on_the_next_request()
    {
        await FederateAsync();
        using var client = factory.Scim();
        var first = await AccessTokenAsync(await RequestWithAssertionAsync(client, Assertion()));
        using (var scim = factory.Scim(bearer: first))
        {
            ScimAssert.Ok(await scim.GetAsync(UsersPath));
            await FederateAsync(subject: Subject + "0");
            await ScimAssert.ErrorAsync(await scim.GetAsync(UsersPath), 401);
        }

        var second = await AccessTokenAsync(await RequestWithAssertionAsync(client, Assertion(subject: Subject + "0")));
        using (var scim = factory.Scim(bearer: second))
        {
            ScimAssert.Ok(await scim.GetAsync(UsersPath));
            var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
            await factory.Get<OAuthClientAdministration>().RemoveFederationAsync(admin, "ides");
            await ScimAssert.ErrorAsync(await scim.GetAsync(UsersPath), 401);
        }

        Assert.Equal("invalid_client", await ErrorAsync(await RequestWithAssertionAsync(client, Assertion(subject: Subject + "0"))));
        // The client's secret is unaffected.
        await AccessTokenAsync(await RequestTokenBasicAsync(client, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret));
    }

    [Fact]
    public async Task A_federated_client_needs_no_secret_and_its_creation_is_audited_non_admins_refused()
    {
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("acme"));
        var administration = factory.Get<OAuthClientAdministration>();
        var settings = new OAuthFederationSettings(Issuer, JwksUrl, Subject, Audience);
        var clientId = await administration.SetFederationAsync(admin, "acme", settings);

        var view = await administration.GetAsync(admin, "acme");
        Assert.Empty(view!.ActiveSecrets);
        Assert.Equal(settings, view.Federation);
        using var client = factory.Scim(host: "acme.localhost");
        var token = await AccessTokenAsync(await RequestWithAssertionAsync(client, Assertion(), clientId));
        using var scim = factory.Scim(bearer: token, host: "acme.localhost");
        ScimAssert.Ok(await scim.GetAsync(UsersPath));

        // Another workspace's admin cannot set ides's federation; the refusal is audited too.
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => administration.SetFederationAsync(admin, "ides", settings));
        var events = (await factory.EventsAsync()).Where(e => e.Operation == ProvisioningOperation.OAuthFederationSet).ToList();
        Assert.Equal([EventOutcome.Success, EventOutcome.Failure], events.Select(e => e.Outcome));
        Assert.All(events, e => Assert.Equal(DemoSeeder.AdminEmail("acme"), e.Actor));
    }

    [Theory]
    [InlineData("http://login.example/keys", false)]
    [InlineData("https://user:pw@login.example/keys", true)]
    [InlineData("/relative/keys", true)]
    [InlineData("file:///etc/passwd", true)]
    public void Settings_refuse_a_JWKS_URL_that_is_not_https(string url, bool allowHttp) =>
        Assert.Throws<InvalidOperationException>(() => new OAuthFederationSettings("iss", url, "sub", "aud").Validated(allowHttp));

    [Fact]
    public async Task With_replay_protection_an_assertion_is_accepted_once()
    {
        using var strict = AccessFactory.With(new Dictionary<string, string?>
        {
            ["OAuth:Federation:AllowHttpJwks"] = "true",
            ["OAuth:Federation:RejectReplayedAssertions"] = "true",
        });
        var admin = await strict.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        await strict.Get<OAuthClientAdministration>().SetFederationAsync(admin, "ides", new OAuthFederationSettings(Issuer, JwksUrl, Subject, Audience));
        using var client = strict.Scim();
        var now = strict.Time.GetUtcNow().UtcDateTime;
        var assertion = Assertion(notBefore: now.AddMinutes(-1), expires: now.AddMinutes(10));

        await AccessTokenAsync(await RequestWithAssertionAsync(client, assertion));
        Assert.Equal("invalid_client", await ErrorAsync(await RequestWithAssertionAsync(client, assertion)));
        await AccessTokenAsync(await RequestWithAssertionAsync(client, Assertion(notBefore: now.AddMinutes(-1), expires: now.AddMinutes(10))));
    }

    private async Task FederateAsync(string? jwksUrl = null, string subject = Subject)
    {
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        await factory.Get<OAuthClientAdministration>().SetFederationAsync(admin, "ides", new OAuthFederationSettings(Issuer, jwksUrl ?? JwksUrl, subject, Audience));
    }

    /// <summary>An assertion as Entra's tenant signs it: iss = tenant, sub = provisioning service, aud as configured, a jti.</summary>
    private string Assertion(
        string? issuer = null, string subject = Subject, string audience = Audience, RSA? key = null, string? keyId = KeyId,
        DateTime? notBefore = null, DateTime? expires = null)
    {
        var now = factory.Time.GetUtcNow().UtcDateTime;
        var signingKey = new RsaSecurityKey(key ?? tenantKey);
        if (keyId is not null)
        {
            signingKey.KeyId = keyId;
        }

        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject), new Claim("jti", Guid.NewGuid().ToString())]),
            IssuedAt = notBefore ?? now,
            NotBefore = notBefore ?? now,
            Expires = expires ?? now.AddMinutes(10),
            SigningCredentials = new SigningCredentials(signingKey, SecurityAlgorithms.RsaSha256),
        });
    }

    private static Task<HttpResponseMessage> RequestWithAssertionAsync(HttpClient client, string assertion, string clientId = PortalFactory.IdesOAuthClientId) =>
        client.PostAsync(TokenPath, Form(
            ("grant_type", "client_credentials"),
            ("client_id", clientId),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion),
            ("scope", "scim")));

    private static string Jwks(RSA key, string keyId)
    {
        var p = key.ExportParameters(false);
        return JsonSerializer.Serialize(new
        {
            keys = new[]
            {
                new { kty = "RSA", use = "sig", alg = "RS256", kid = keyId, n = WebEncoders.Base64UrlEncode(p.Modulus!), e = WebEncoders.Base64UrlEncode(p.Exponent!) },
            },
        });
    }
}
