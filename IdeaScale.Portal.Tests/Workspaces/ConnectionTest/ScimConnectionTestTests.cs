using System.Text.Json;

using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Tests.Scim.Credentials;
using IdeaScale.Portal.Workspaces;
using IdeaScale.Portal.Workspaces.ConnectionTest;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Tests.Workspaces.ConnectionTest;

/// <summary>
/// "Test connection" against the app served by Kestrel on loopback (real sockets, the real SCIM pipeline, the real
/// database): it passes on a healthy workspace, explains the 403 of a disabled one, and changes no data.
/// </summary>
public sealed class ScimConnectionTestTests
{
    private sealed record Snapshot(int Members, int Groups, int IdpRows, string Credentials);

    private static Task<Snapshot> SnapshotAsync(AccessFactory factory) => factory.WithDbAsync(async db => new Snapshot(
        await db.Members.CountAsync(),
        await db.Groups.CountAsync(),
        await db.ProvisioningEvents.CountAsync(e => e.ActorKind == ActorKind.IdentityProvider),
        string.Join(';', await db.ScimCredentials.OrderBy(c => c.Id).Select(c => $"{c.Id}|{c.LastUsedAt}|{c.LastSuccessAt}|{c.LastFailureAt}").ToListAsync())));

    private static async Task<AccessFactory> StartAsync()
    {
        var factory = new AccessFactory();
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
        Assert.All(report.Probes, p => Assert.Contains("Host: ides.localhost", p.RequestHeaders));
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
