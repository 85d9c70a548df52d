using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Workspaces;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Workspaces;

/// <summary>SSO settings on the real app's SQLite database: validation, secret handling, authorization and audit.</summary>
public sealed class SsoSettingsTests : IDisposable
{
    private readonly PortalFactory app = new();

    private SsoSettings Settings => app.Services.GetRequiredService<SsoSettings>();

    private PortalDbContext Db() => app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext();

    private ClaimsPrincipal Admin(string slug)
    {
        using var db = Db();
        var email = DemoSeeder.AdminEmail(slug);
        var id = db.Users.Single(u => u.Email == email).Id;
        return new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, id), new Claim(ClaimTypes.Email, email)], "test"));
    }

    private static string Pem(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Test IdP", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(notBefore, notAfter);
        return cert.ExportCertificatePem();
    }

    [Fact]
    public void ParseCertificate_ValidPem_ReturnsSubjectAndExpiry()
    {
        var now = DateTimeOffset.UtcNow;
        var (info, error) = SsoSettings.ParseCertificate(Pem(now.AddDays(-1), now.AddYears(1)), now);

        Assert.Null(error);
        Assert.Equal("CN=Test IdP", info!.Subject);
        Assert.Equal(now.AddYears(1).UtcDateTime.Date, info.NotAfter.Date);
    }

    [Fact]
    public void ParseCertificate_Base64Der_IsAccepted()
    {
        var now = DateTimeOffset.UtcNow;
        var pem = Pem(now.AddDays(-1), now.AddYears(1));
        var base64 = string.Concat(pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)));

        Assert.Null(SsoSettings.ParseCertificate(base64, now).Error);
    }

    [Fact]
    public void ParseCertificate_Expired_ReturnsExpiryError()
    {
        var now = DateTimeOffset.UtcNow;
        var (info, error) = SsoSettings.ParseCertificate(Pem(now.AddYears(-2), now.AddDays(-3)), now);

        Assert.NotNull(info);
        Assert.Contains("expired on", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseCertificate_Garbage_ReturnsNotACertificate()
    {
        var (info, error) = SsoSettings.ParseCertificate("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----", DateTimeOffset.UtcNow);

        Assert.Null(info);
        Assert.Contains("not an X.509 certificate", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SaveSamlAsync_InvalidFields_ReturnsMessagePerFieldAndChangesNothing()
    {
        var result = await Settings.SaveSamlAsync(Admin("nosso"), "nosso", new SamlInput("", "ftp://x", "not a cert"));

        Assert.False(result.Succeeded);
        Assert.Equal([SsoSettings.CertificateField, SsoSettings.SamlEntityIdField, SsoSettings.SignOnUrlField], result.Errors.Keys.Order());
        await using var db = Db();
        Assert.False(await db.SsoConfigurations.AnyAsync(s => s.Workspace!.Slug == "nosso"));
    }

    [Fact]
    public async Task SaveSamlAsync_Valid_StoresAuditsAndActivates()
    {
        var now = DateTimeOffset.UtcNow;
        var admin = Admin("nosso");

        var saved = await Settings.SaveSamlAsync(admin, "nosso", new SamlInput("https://idp.example/entity", "https://idp.example/sso", Pem(now.AddDays(-1), now.AddYears(1))));
        var activated = await Settings.SetActiveAsync(admin, "nosso", true);

        Assert.True(saved.Succeeded);
        Assert.True(activated.Succeeded);
        var view = await Settings.GetAsync(admin, "nosso");
        Assert.True(view!.Active);
        Assert.Equal("CN=Test IdP", view.Certificate!.Subject);
        Assert.Equal("http://nosso.localhost:5080/sso/saml2/acs", view.ServiceProvider.SamlAcsUrl);
        await using var db = Db();
        var ops = await db.ProvisioningEvents.Where(e => e.Actor == DemoSeeder.AdminEmail("nosso")).Select(e => e.Operation).ToListAsync();
        Assert.Equal([ProvisioningOperation.SsoUpdated, ProvisioningOperation.SsoActivated], ops);
    }

    [Fact]
    public async Task SaveOidcAsync_Secret_StoredEncryptedNeverReturnedOrAudited()
    {
        const string secret = "oidc-client-secret-value-1234567890";
        var admin = Admin("acme");

        var result = await Settings.SaveOidcAsync(admin, "acme", new OidcInput("https://acme.okta.example/oauth2/default", "acme-portal", secret));

        Assert.True(result.Succeeded);
        await using var db = Db();
        var stored = await db.SsoConfigurations.SingleAsync(s => s.Workspace!.Slug == "acme");
        Assert.NotNull(stored.ProtectedClientSecret);
        Assert.DoesNotContain(secret, stored.ProtectedClientSecret, StringComparison.Ordinal);
        Assert.DoesNotContain(await db.ProvisioningEvents.Select(e => e.Summary).ToListAsync(), s => s != null && s.Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(secret, app.Logs.All, StringComparison.Ordinal);
        var view = await Settings.GetAsync(admin, "acme");
        Assert.True(view!.HasClientSecret);
        Assert.DoesNotContain(secret, view.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SaveOidcAsync_BlankSecretWithStoredOne_KeepsIt()
    {
        var admin = Admin("acme");
        await Settings.SaveOidcAsync(admin, "acme", new OidcInput("https://acme.okta.example/oauth2/default", "acme-portal", "first-secret"));
        await using var before = Db();
        var protectedBefore = (await before.SsoConfigurations.SingleAsync(s => s.Workspace!.Slug == "acme")).ProtectedClientSecret;

        var result = await Settings.SaveOidcAsync(admin, "acme", new OidcInput("https://acme.okta.example/oauth2/v2", "acme-portal", null));

        Assert.True(result.Succeeded);
        await using var after = Db();
        var stored = await after.SsoConfigurations.SingleAsync(s => s.Workspace!.Slug == "acme");
        Assert.Equal(protectedBefore, stored.ProtectedClientSecret);
        Assert.Equal("https://acme.okta.example/oauth2/v2", stored.EntityIdOrIssuer);
    }

    [Fact]
    public async Task SaveOidcAsync_SwitchingFromSamlWithoutSecret_RequiresSecret()
    {
        var result = await Settings.SaveOidcAsync(Admin("ides"), "ides", new OidcInput("https://login.example/v2.0", "client", null));

        Assert.Equal([SsoSettings.ClientSecretField], result.Errors.Keys);
    }

    [Fact]
    public async Task SetActiveAsync_AdminOfAnotherWorkspace_IsRefusedAndChangesNothing()
    {
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Settings.SetActiveAsync(Admin("ides"), "acme", false));

        Assert.Null(await Settings.GetAsync(Admin("ides"), "acme"));
        await using var db = Db();
        Assert.True((await db.SsoConfigurations.SingleAsync(s => s.Workspace!.Slug == "acme")).Active);

        // The refused attempt is audited against the workspace it targeted, with the acting account.
        var refused = await db.ProvisioningEvents.SingleAsync();
        Assert.Equal(await db.Workspaces.Where(w => w.Slug == "acme").Select(w => (Guid?)w.Id).SingleAsync(), refused.WorkspaceId);
        Assert.Equal(ProvisioningOperation.SsoDeactivated, refused.Operation);
        Assert.Equal(EventOutcome.Failure, refused.Outcome);
        Assert.Equal(ActorKind.System, refused.ActorKind);
        Assert.Equal(DemoSeeder.AdminEmail("ides"), refused.Actor);
        Assert.Equal("Refused: Not an administrator of this workspace.", refused.Summary);
    }

    [Fact]
    public async Task SaveSamlAsync_AdminOfAnotherWorkspace_IsRefusedAndAudited()
    {
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Settings.SaveSamlAsync(
            Admin("ides"), "acme", new SamlInput("https://idp.example/entity", "https://idp.example/sso", Pem(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1)))));

        await using var db = Db();
        var refused = await db.ProvisioningEvents.SingleAsync();
        Assert.Equal(ProvisioningOperation.SsoUpdated, refused.Operation);
        Assert.Equal(EventOutcome.Failure, refused.Outcome);
        Assert.Equal(DemoSeeder.AdminEmail("ides"), refused.Actor);
    }

    [Fact]
    public async Task SetActiveAsync_ActivateIncompleteSettings_IsRefusedAndAudited()
    {
        var result = await Settings.SetActiveAsync(Admin("nosso"), "nosso", true);

        Assert.False(result.Succeeded);
        await using var db = Db();
        var refused = await db.ProvisioningEvents.SingleAsync();
        Assert.Equal(ProvisioningOperation.SsoActivated, refused.Operation);
        Assert.Equal(EventOutcome.Failure, refused.Outcome);
        Assert.Equal(ActorKind.WorkspaceAdmin, refused.ActorKind);
        Assert.Equal(DemoSeeder.AdminEmail("nosso"), refused.Actor);
        Assert.Equal("Refused: " + result.Errors[SsoSettings.ActivationField], refused.Summary);
    }

    [Fact]
    public async Task SetActiveAsync_Deactivate_AuditsWithActor()
    {
        var result = await Settings.SetActiveAsync(Admin("ides"), "ides", false);

        Assert.True(result.Succeeded);
        await using var db = Db();
        var audit = await db.ProvisioningEvents.SingleAsync(e => e.Operation == ProvisioningOperation.SsoDeactivated);
        Assert.Equal(DemoSeeder.AdminEmail("ides"), audit.Actor);
        Assert.Equal(ActorKind.WorkspaceAdmin, audit.ActorKind);
    }

    public void Dispose() => app.Dispose();
}
