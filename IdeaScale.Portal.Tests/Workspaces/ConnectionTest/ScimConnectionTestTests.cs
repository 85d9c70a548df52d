using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Tests.Scim.Credentials;
using IdeaScale.Portal.Tests.Scim.Credentials.OAuth;
using IdeaScale.Portal.Workspaces;
using IdeaScale.Portal.Workspaces.ConnectionTest;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Tests.Workspaces.ConnectionTest;

/// <summary>
/// "Test connection" against the app served by Kestrel on loopback (real sockets, the real SCIM pipeline, the real
/// database): it passes on a healthy workspace, explains the 403 of a disabled one, and changes no data. With the
/// client secret of the workspace's OAuth client it also tests Entra's OAuth token exchange (real OpenIddict).
/// </summary>
public sealed partial class ScimConnectionTestTests
{
    private sealed record Snapshot(int Members, int Groups, int LogRows, string Credentials, string OAuthClients);

    /// <summary>Everything a test may not change: data, provisioning-log rows (other than the test's own audit row), last-use facts.</summary>
    private static Task<Snapshot> SnapshotAsync(AccessFactory factory) => factory.WithDbAsync(async db => new Snapshot(
        await db.Members.CountAsync(),
        await db.Groups.CountAsync(),
        await db.ProvisioningEvents.CountAsync(e => e.Operation != ProvisioningOperation.ConnectionTested),
        string.Join(';', await db.ScimCredentials.OrderBy(c => c.Id).Select(c => $"{c.Id}|{c.LastUsedAt}|{c.LastSuccessAt}|{c.LastFailureAt}").ToListAsync()),
        string.Join(';', await db.ScimOAuthClients.OrderBy(c => c.Id).Select(c => $"{c.Id}|{c.LastUsedAt}|{c.LastUsedIp}|{c.LastSuccessAt}|{c.LastFailureAt}").ToListAsync())));

    /// <summary>A JSON Web Token (header.payload.signature): the shape of every access token this server issues.</summary>
    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")]
    private static partial Regex Jwt();

    private static string Dump(ConnectionTestReport report) => string.Join('\n', report.Probes.Select(p => $"{p.Name}: {p.Status} {p.Passed} {p.Explanation}"));

    private static async Task<AccessFactory> StartAsync(IDictionary<string, string?>? overrides = null)
    {
        var factory = overrides is null ? new AccessFactory() : AccessFactory.With(overrides);
        using var _ = factory.CreateLoopbackClient(); // Kestrel on a loopback port: the test dials the app's own listener
        await Task.CompletedTask;
        return factory;
    }

    [Fact]
    public async Task RunAsync_HealthyWorkspace_EveryEntraAndOktaProbePasses()
    {
        using var factory = await StartAsync();
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));

        var report = await factory.Get<ScimConnectionTest>().RunAsync(admin, "ides");

        Assert.True(report.Passed, string.Join('\n', report.Probes.Select(p => $"{p.Name}: {p.Status} {p.Explanation}")));
        Assert.True(report.EntraWillPass);
        Assert.True(report.OktaWillPass);
        Assert.Null(report.Cause);
        Assert.Equal(6, report.Probes.Count);
        var userProbe = report.Probes[0];
        Assert.StartsWith("/scim/v2/Users?filter=userName eq \"", userProbe.Target, StringComparison.Ordinal);
        Assert.True(Guid.TryParse(userProbe.Target.Split('"')[1], out _));
        Assert.Contains("\"totalResults\": 0", userProbe.Body, StringComparison.Ordinal);
        Assert.Contains(report.Probes, p => p.Target.StartsWith("/scim/v2/Groups?excludedAttributes=members&filter=displayName eq", StringComparison.Ordinal));
        Assert.Contains(report.Probes, p => p.Target == "/scim/v2/ServiceProviderConfig");
        Assert.Contains(report.Probes, p => p.Target == "/scim/v2/Schemas");
        Assert.Contains(report.Probes, p => p.Target == "/scim/v2/Users?startIndex=1&count=2" && p.Idps.HasFlag(ProbeIdp.Okta));
        Assert.All(report.Probes, p => Assert.Contains("Host: ides.localhost:5080", p.RequestHeaders));
        // ides has an OAuth client, but without its secret the OAuth probes do not run and the report says so.
        Assert.Equal(OAuthTestScope.SecretNotEntered, report.OAuth);
        Assert.Equal(PortalFactory.IdesOAuthClientId, report.OAuthClientId);
        Assert.DoesNotContain(report.Probes, p => p.Idps.HasFlag(ProbeIdp.EntraIdOAuth));
        Assert.False(report.EntraOAuthWillPass);
    }

    [Fact]
    public async Task RunAsync_ChangesNoDataNeverShowsTheTokenAndIsAuditedWithTheAdmin()
    {
        using var factory = await StartAsync();
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var before = await SnapshotAsync(factory);

        var report = await factory.Get<ScimConnectionTest>().RunAsync(admin, "ides");
        await factory.FlushAsync();

        Assert.True(report.Passed);
        Assert.Equal(before, await SnapshotAsync(factory));
        var shown = JsonSerializer.Serialize(report);
        Assert.DoesNotContain(PortalFactory.IdesToken, shown, StringComparison.Ordinal);
        Assert.Contains("(redacted)", shown, StringComparison.Ordinal);
        Assert.DoesNotContain(PortalFactory.IdesToken, factory.Logs.All, StringComparison.Ordinal);
        var audit = Assert.Single(await factory.EventsAsync(), e => e.Operation == ProvisioningOperation.ConnectionTested);
        Assert.Equal(DemoSeeder.AdminEmail("ides"), audit.Actor);
        Assert.Equal(ActorKind.WorkspaceAdmin, audit.ActorKind);
        Assert.Equal(EventOutcome.Success, audit.Outcome);
        Assert.Contains("passed", audit.Summary, StringComparison.Ordinal);
        Assert.Contains("token exchange not tested (no client secret entered)", audit.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_WithTheClientSecret_MetadataTokenExchangeAndAccessTokenProbePass()
    {
        using var factory = await StartAsync();
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var before = await SnapshotAsync(factory);

        var report = await factory.Get<ScimConnectionTest>().RunAsync(admin, "ides", PortalFactory.IdesOAuthSecret);
        await factory.FlushAsync();

        Assert.True(report.Passed, Dump(report));
        Assert.Equal(OAuthTestScope.Included, report.OAuth);
        Assert.True(report.EntraOAuthWillPass);
        Assert.True(report.EntraWillPass);
        Assert.True(report.OktaWillPass);
        Assert.Equal(9, report.Probes.Count);
        var oauth = report.Probes.Where(p => p.Idps == ProbeIdp.EntraIdOAuth).ToList();
        Assert.Equal(3, oauth.Count);

        var metadata = oauth[0];
        Assert.Equal(("GET", "/.well-known/oauth-authorization-server", 200), (metadata.Method, metadata.Target, metadata.Status));
        Assert.Contains("http://ides.localhost:5080/oauth/token", metadata.Explanation, StringComparison.Ordinal);
        Assert.Contains("client_credentials", metadata.Body, StringComparison.Ordinal);

        var exchange = oauth[1];
        Assert.Equal(("POST", "/oauth/token", 200), (exchange.Method, exchange.Target, exchange.Status));
        Assert.Equal("grant_type=client_credentials", exchange.RequestBody);
        Assert.Contains(exchange.RequestHeaders, h => h.StartsWith("Authorization: Basic •••••• (redacted)", StringComparison.Ordinal) && h.Contains(PortalFactory.IdesOAuthClientId, StringComparison.Ordinal));
        Assert.Contains("\"token_type\": \"Bearer\"", exchange.Body, StringComparison.Ordinal);
        Assert.Contains("\"access_token\": \"•••••• (redacted)\"", exchange.Body, StringComparison.Ordinal);
        Assert.Contains("expires_in", exchange.Body, StringComparison.Ordinal);

        var userProbe = oauth[2];
        Assert.StartsWith("/scim/v2/Users?filter=userName eq \"", userProbe.Target, StringComparison.Ordinal);
        Assert.Equal(200, userProbe.Status);
        Assert.Contains("\"totalResults\": 0", userProbe.Body, StringComparison.Ordinal);
        Assert.Contains(userProbe.RequestHeaders, h => h.StartsWith("Authorization: Bearer •••••• (redacted)", StringComparison.Ordinal));

        // No provisioning-log row, no last use of the token or the OAuth client: only the audit row.
        Assert.Equal(before, await SnapshotAsync(factory));
        var audit = Assert.Single(await factory.EventsAsync(), e => e.Operation == ProvisioningOperation.ConnectionTested);
        Assert.Equal(EventOutcome.Success, audit.Outcome);
        Assert.Contains($"OAuth client {PortalFactory.IdesOAuthClientId}: token exchange included and passed; Entra's OAuth connection will pass.", audit.Summary, StringComparison.Ordinal);
        AssertNoCredentialAnywhere(factory, report, audit, PortalFactory.IdesOAuthSecret);
    }

    [Fact]
    public async Task RunAsync_WithAWrongClientSecret_TheExchangeFailsExplainedAndNothingElseBreaks()
    {
        const string wrong = "iscs_wrong-secret-0123456789abcdefghijklmnopq";
        using var factory = await StartAsync();
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var before = await SnapshotAsync(factory);

        var report = await factory.Get<ScimConnectionTest>().RunAsync(admin, "ides", wrong);
        await factory.FlushAsync();

        Assert.False(report.Passed);
        Assert.Equal(OAuthTestScope.Included, report.OAuth);
        Assert.False(report.EntraOAuthWillPass);
        Assert.True(report.EntraWillPass, Dump(report));
        Assert.True(report.OktaWillPass);
        Assert.Equal(8, report.Probes.Count); // the access-token probe needs a token
        Assert.All(report.Probes.Where(p => p.Idps != ProbeIdp.EntraIdOAuth), p => Assert.True(p.Passed, p.Explanation));
        Assert.True(report.Probes.Single(p => p.Target == "/.well-known/oauth-authorization-server").Passed);
        var exchange = report.Probes.Single(p => p.Target == "/oauth/token");
        Assert.False(exchange.Passed);
        Assert.Contains("invalid_client", exchange.Explanation, StringComparison.Ordinal);
        Assert.Contains("wrong, expired or removed", exchange.Explanation, StringComparison.Ordinal);
        Assert.Contains("Entra's Client Secret", exchange.Explanation, StringComparison.Ordinal);
        Assert.Equal(exchange.Explanation, report.Cause);

        Assert.Equal(before, await SnapshotAsync(factory));
        var audit = Assert.Single(await factory.EventsAsync(), e => e.Operation == ProvisioningOperation.ConnectionTested);
        Assert.Equal(EventOutcome.Failure, audit.Outcome);
        Assert.Contains("token exchange included and failed", audit.Summary, StringComparison.Ordinal);
        Assert.Contains("wrong, expired or removed", audit.Summary, StringComparison.Ordinal);
        AssertNoCredentialAnywhere(factory, report, audit, wrong);

        // The right secret still works for the identity provider afterwards.
        using var idp = factory.CreateLoopbackClient();
        await OAuthTestKit.AccessTokenAsync(await OAuthTestKit.RequestTokenBasicAsync(idp, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret));
    }

    [Fact]
    public async Task RunAsync_WorkspaceWithoutOAuthClient_IgnoresASecretAndRunsTheUsualProbes()
    {
        using var factory = await StartAsync();
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("acme"));

        var report = await factory.Get<ScimConnectionTest>().RunAsync(admin, "acme", PortalFactory.IdesOAuthSecret);

        Assert.True(report.Passed, Dump(report));
        Assert.Equal(OAuthTestScope.NoClient, report.OAuth);
        Assert.Null(report.OAuthClientId);
        Assert.Equal(6, report.Probes.Count);
        var audit = Assert.Single(await factory.EventsAsync(), e => e.Operation == ProvisioningOperation.ConnectionTested);
        Assert.DoesNotContain("OAuth", audit.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_TokenRequestsOfTheTest_CountInTheirOwnBucketNotTheIdentityProviders()
    {
        using var factory = await StartAsync(new Dictionary<string, string?> { ["OAuth:TokenRateLimit:PerClientPerMinute"] = "1" });
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var test = factory.Get<ScimConnectionTest>();

        Assert.True((await test.RunAsync(admin, "ides", PortalFactory.IdesOAuthSecret)).EntraOAuthWillPass);

        // The test used its allowance, not Entra's: the IdP's own token request still gets through.
        using var idp = factory.CreateLoopbackClient();
        await OAuthTestKit.AccessTokenAsync(await OAuthTestKit.RequestTokenBasicAsync(idp, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret));

        // Testing again at once is limited, and the 429 is explained.
        var again = await test.RunAsync(admin, "ides", PortalFactory.IdesOAuthSecret);
        var exchange = again.Probes.Single(p => p.Target == "/oauth/token");
        Assert.Equal(429, exchange.Status);
        Assert.Contains("rate limit", exchange.Explanation, StringComparison.Ordinal);
        Assert.Contains("not held up", exchange.Explanation, StringComparison.Ordinal);
        Assert.False(again.EntraOAuthWillPass);
        Assert.True(again.EntraWillPass);
    }

    /// <summary>Neither the client secret (as entered or base64 in the Basic header) nor any access token is logged, shown or audited.</summary>
    private static void AssertNoCredentialAnywhere(AccessFactory factory, ConnectionTestReport report, ProvisioningEvent audit, string secret)
    {
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{PortalFactory.IdesOAuthClientId}:{secret}"));
        var shown = JsonSerializer.Serialize(report);
        var logs = factory.Logs.All;
        var row = JsonSerializer.Serialize(audit);
        foreach (var (text, where) in new[] { (shown, "report"), (logs, "logs"), (row, "audit row") })
        {
            Assert.False(text.Contains(secret, StringComparison.Ordinal), $"the secret is in the {where}");
            Assert.False(text.Contains(basic, StringComparison.Ordinal), $"the Basic header is in the {where}");
            Assert.False(Jwt().IsMatch(text), $"an access token is in the {where}: {Jwt().Match(text).Value[..Math.Min(20, Jwt().Match(text).Length)]}…");
            Assert.DoesNotContain(PortalFactory.IdesToken, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task RunAsync_ScimDisabled_FailsAndExplainsThe403WithWhoDisabledIt()
    {
        using var factory = await StartAsync();
        await factory.Get<ScimAdministration>().SetScimEnabledAsync(await factory.PrincipalAsync(DemoSeeder.CsmEmail), "acme", enabled: false, reason: "Renewal pending");
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("acme"));
        var before = await SnapshotAsync(factory);

        var report = await factory.Get<ScimConnectionTest>().RunAsync(admin, "acme");

        Assert.False(report.Passed);
        Assert.False(report.EntraWillPass);
        Assert.False(report.OktaWillPass);
        Assert.All(report.Probes, p => Assert.Equal(403, p.Status));
        Assert.Contains("SCIM provisioning is disabled", report.Cause, StringComparison.Ordinal);
        Assert.Contains("disabled by " + DemoSeeder.CsmEmail, report.Cause, StringComparison.Ordinal);
        Assert.Contains(": Renewal pending", report.Cause, StringComparison.Ordinal);
        Assert.Contains("Casey Success", report.Cause, StringComparison.Ordinal);
        await factory.FlushAsync();
        Assert.Equal(before, await SnapshotAsync(factory));
        var audit = Assert.Single(await factory.EventsAsync(), e => e.Operation == ProvisioningOperation.ConnectionTested);
        Assert.Equal(EventOutcome.Failure, audit.Outcome);
        Assert.Contains("SCIM provisioning is disabled", audit.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_SsoInactive_ExplainsThatSsoMustBeActive()
    {
        using var factory = await StartAsync();
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("nosso"));

        var report = await factory.Get<ScimConnectionTest>().RunAsync(admin, "nosso");

        Assert.False(report.Passed);
        Assert.Contains("single sign-on is not active", report.Cause, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ByAnotherWorkspacesAdmin_IsRefusedAndAudited()
    {
        using var factory = await StartAsync();
        var other = await factory.PrincipalAsync(DemoSeeder.AdminEmail("acme"));

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => factory.Get<ScimConnectionTest>().RunAsync(other, "ides"));

        var refused = Assert.Single(await factory.EventsAsync(), e => e.Operation == ProvisioningOperation.ConnectionTested);
        Assert.Equal(EventOutcome.Failure, refused.Outcome);
        Assert.Equal(DemoSeeder.AdminEmail("acme"), refused.Actor);
    }
}
