using IdeaScale.Portal.Scim.Credentials;
using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Workspaces;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Tests.Scim.Credentials;

public sealed class ScimGatingTests
{
    private const string Probe = "scim/v2/Users";

    [Fact]
    public async Task Request_WhenSsoDeactivated_Returns403WithSsoReasonAndRecoversWhenReactivated()
    {
        using var factory = new AccessFactory();
        using var client = factory.Scim(PortalFactory.IdesToken);
        ScimAssert.Ok(await client.GetAsync(Probe));

        await SetSsoActiveAsync(factory, "ides", false);
        var body = await ScimAssert.ErrorAsync(await client.GetAsync(Probe), 403);
        Assert.Equal(ScimAuthentication.SsoInactiveDetail, body.GetProperty("detail").GetString());
        Assert.Contains("SSO is not active", body.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // The other workspace is unaffected.
        using var acme = factory.Scim(PortalFactory.AcmeToken);
        ScimAssert.Ok(await acme.GetAsync(Probe));

        await SetSsoActiveAsync(factory, "ides", true);
        ScimAssert.Ok(await client.GetAsync(Probe));
    }

    [Fact]
    public async Task Request_WhenCsmDisablesScim_Returns403AndReEnablingRestoresTheSameToken()
    {
        using var factory = new AccessFactory();
        var admin = factory.Get<ScimAdministration>();
        var csm = await factory.PrincipalAsync(DemoSeeder.CsmEmail);
        using var client = factory.Scim(PortalFactory.IdesToken);
        using var basic = factory.Scim();
        basic.DefaultRequestHeaders.Authorization = AccessFactory.Basic("ides", PortalFactory.IdesToken);
        ScimAssert.Ok(await client.GetAsync(Probe));

        await admin.SetScimEnabledAsync(csm, "ides", enabled: false, reason: "Contract paused");
        var body = await ScimAssert.ErrorAsync(await client.GetAsync(Probe), 403);
        Assert.Equal(ScimAuthentication.ScimDisabledDetail, body.GetProperty("detail").GetString());
        Assert.StartsWith("SCIM is disabled for this workspace", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ScimAssert.ErrorAsync(await basic.GetAsync(Probe), 403);

        await admin.SetScimEnabledAsync(csm, "ides", enabled: true);
        ScimAssert.Ok(await client.GetAsync(Probe));
        ScimAssert.Ok(await basic.GetAsync(Probe));
    }

    [Fact]
    public async Task Request_WhenBothSsoInactiveAndScimDisabled_ReportsSsoFirst()
    {
        using var factory = new AccessFactory();
        await SetSsoActiveAsync(factory, "ides", false);
        await factory.WithDbAsync(db => db.ScimSettings.Where(s => s.Workspace!.Slug == "ides").ExecuteUpdateAsync(s => s.SetProperty(x => x.Enabled, false)));
        using var client = factory.Scim(PortalFactory.IdesToken);
        var body = await ScimAssert.ErrorAsync(await client.GetAsync(Probe), 403);
        Assert.Equal(ScimAuthentication.SsoInactiveDetail, body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Request_ForWorkspaceWithoutSso_Returns403()
    {
        using var factory = new AccessFactory();
        var nossoToken = await factory.RevealAsync("nosso");
        using var client = factory.Scim(nossoToken);
        var body = await ScimAssert.ErrorAsync(await client.GetAsync(Probe), 403);
        Assert.Equal(ScimAuthentication.SsoInactiveDetail, body.GetProperty("detail").GetString());
    }

    internal static Task SetSsoActiveAsync(AccessFactory factory, string slug, bool active) =>
        factory.WithDbAsync(db => db.SsoConfigurations.Where(s => s.Workspace!.Slug == slug).ExecuteUpdateAsync(s => s.SetProperty(x => x.Active, active)));
}
