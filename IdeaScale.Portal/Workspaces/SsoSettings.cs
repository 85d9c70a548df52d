using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Workspaces;

/// <summary>What the SSO page shows about a workspace's single sign-on. Never contains the OIDC client secret.</summary>
public sealed record SsoView(
    string Slug,
    string WorkspaceName,
    bool Configured,
    SsoProtocol Protocol,
    bool Active,
    string EntityIdOrIssuer,
    string? SignOnUrl,
    CertificateInfo? Certificate,
    string? ClientId,
    bool HasClientSecret,
    DateTime? Updated,
    string? UpdatedBy,
    ServiceProviderValues ServiceProvider);

/// <summary>The values the identity provider needs from us.</summary>
public sealed record ServiceProviderValues(string SamlEntityId, string SamlAcsUrl, string OidcRedirectUri);

/// <summary>A parsed X.509 certificate, as the page shows it.</summary>
public sealed record CertificateInfo(string Subject, string Issuer, DateTime NotBefore, DateTime NotAfter, string Thumbprint, string Pem);

/// <summary>SAML 2.0 settings as the admin enters them.</summary>
public sealed record SamlInput(string IdpEntityId, string SignOnUrl, string CertificateText);

/// <summary>OpenID Connect settings. A blank <see cref="ClientSecret"/> keeps the stored one.</summary>
public sealed record OidcInput(string Issuer, string ClientId, string? ClientSecret);

/// <summary>Result of a save: field name → message for each problem; empty when saved.</summary>
public sealed record SsoSaveResult(IReadOnlyDictionary<string, string> Errors)
{
    public bool Succeeded => Errors.Count == 0;
    public static readonly SsoSaveResult Ok = new(new Dictionary<string, string>());
}

/// <summary>
/// A workspace's SSO setup: read, validate and save SAML 2.0 or OpenID Connect settings, activate and deactivate.
/// Every method checks on the server that the acting account administers the workspace, and every change is
/// audited as a <see cref="ProvisioningEvent"/>. The OIDC client secret is stored Data Protection-encrypted and
/// never returned.
/// </summary>
public sealed class SsoSettings(IDbContextFactory<PortalDbContext> dbFactory, IDataProtectionProvider protection, TimeProvider time)
{
    public const string SamlEntityIdField = nameof(SamlInput.IdpEntityId);
    public const string SignOnUrlField = nameof(SamlInput.SignOnUrl);
    public const string CertificateField = nameof(SamlInput.CertificateText);
    public const string IssuerField = nameof(OidcInput.Issuer);
    public const string ClientIdField = nameof(OidcInput.ClientId);
    public const string ClientSecretField = nameof(OidcInput.ClientSecret);
    public const string ActivationField = "Activation";

    private readonly IDataProtector protector = protection.CreateProtector("IdeaScale.Portal.SsoClientSecret.v1");

    /// <summary>Encrypts an OIDC client secret the way <see cref="SaveOidcAsync"/> stores it (the demo seeder's setup uses it).</summary>
    public string ProtectClientSecret(string secret) => protector.Protect(secret);

    /// <summary>The workspace's SSO as the admin sees it, or null when the account is not an admin of it (or it does not exist).</summary>
    public async Task<SsoView?> GetAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var workspace = await FindAdministeredAsync(db, user, slug, ct);
        return workspace is null ? null : ToView(workspace);
    }

    /// <summary>Validates and stores SAML 2.0 settings. Changing settings keeps the activation state.</summary>
    public async Task<SsoSaveResult> SaveSamlAsync(ClaimsPrincipal user, string slug, SamlInput input, CancellationToken ct = default)
    {
        var errors = new Dictionary<string, string>();
        if (string.IsNullOrWhiteSpace(input.IdpEntityId))
        {
            errors[SamlEntityIdField] = "Enter the identity provider's entity id (Entra calls it \"Microsoft Entra Identifier\", Okta \"Identity Provider Issuer\").";
        }
        else if (input.IdpEntityId.Trim().Length > 512)
        {
            errors[SamlEntityIdField] = "The entity id is longer than 512 characters.";
        }

        if (ValidateHttpsUrl(input.SignOnUrl, "sign-on URL") is { } urlError)
        {
            errors[SignOnUrlField] = urlError;
        }

        var (certificate, certError) = ParseCertificate(input.CertificateText, time.GetUtcNow());
        if (certError is not null)
        {
            errors[CertificateField] = certError;
        }

        if (errors.Count > 0)
        {
            return new SsoSaveResult(errors);
        }

        return await SaveAsync(user, slug, sso =>
        {
            sso.Protocol = SsoProtocol.Saml2;
            sso.EntityIdOrIssuer = input.IdpEntityId.Trim();
            sso.SignOnUrl = input.SignOnUrl.Trim();
            sso.Certificate = certificate!.Pem;
            sso.ClientId = null;
            sso.ProtectedClientSecret = null;
            return $"SAML 2.0 settings saved: IdP entity id {sso.EntityIdOrIssuer}, certificate {certificate.Subject} (thumbprint {certificate.Thumbprint}) valid until {certificate.NotAfter:yyyy-MM-dd}.";
        }, ct);
    }

    /// <summary>Validates and stores OpenID Connect settings; the client secret is encrypted, and a blank one keeps the stored secret.</summary>
    public async Task<SsoSaveResult> SaveOidcAsync(ClaimsPrincipal user, string slug, OidcInput input, CancellationToken ct = default)
    {
        var errors = new Dictionary<string, string>();
        if (ValidateHttpsUrl(input.Issuer, "issuer") is { } issuerError)
        {
            errors[IssuerField] = issuerError;
        }

        if (string.IsNullOrWhiteSpace(input.ClientId))
        {
            errors[ClientIdField] = "Enter the client id (application id) the identity provider gave this app.";
        }

        return await SaveAsync(user, slug, sso =>
        {
            var keepSecret = string.IsNullOrEmpty(input.ClientSecret);
            if (keepSecret && (sso.Protocol != SsoProtocol.OpenIdConnect || sso.ProtectedClientSecret is null))
            {
                errors[ClientSecretField] = "Enter the client secret.";
            }

            if (errors.Count > 0)
            {
                return null;
            }

            sso.Protocol = SsoProtocol.OpenIdConnect;
            sso.EntityIdOrIssuer = input.Issuer.Trim();
            sso.ClientId = input.ClientId.Trim();
            sso.SignOnUrl = null;
            sso.Certificate = null;
            if (!keepSecret)
            {
                sso.ProtectedClientSecret = protector.Protect(input.ClientSecret!);
            }

            return $"OpenID Connect settings saved: issuer {sso.EntityIdOrIssuer}, client id {sso.ClientId}, client secret {(keepSecret ? "unchanged" : "replaced")}.";
        }, ct, errors);
    }

    /// <summary>Activates or deactivates SSO. Activation needs complete settings. Deactivating also stops SCIM for the workspace.</summary>
    public async Task<SsoSaveResult> SetActiveAsync(ClaimsPrincipal user, string slug, bool active, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var operation = active ? ProvisioningOperation.SsoActivated : ProvisioningOperation.SsoDeactivated;
        var workspace = await FindAdministeredAsync(db, user, slug, ct) ?? throw await RefusedAsync(db, user, slug, operation, ct);
        var sso = workspace.Sso;
        if (sso is null || !IsComplete(sso))
        {
            return await RefuseActivationAsync(db, workspace.Id, user, operation, "Save complete SSO settings before activating them.", ct);
        }

        if (active && sso.Protocol == SsoProtocol.Saml2 && ParseCertificate(sso.Certificate, time.GetUtcNow()).Error is { } certError)
        {
            return await RefuseActivationAsync(db, workspace.Id, user, operation, certError, ct);
        }

        if (sso.Active == active)
        {
            return SsoSaveResult.Ok;
        }

        var now = time.GetUtcNow().UtcDateTime;
        sso.Active = active;
        sso.Updated = now;
        sso.UpdatedBy = Actor(user);
        db.ProvisioningEvents.Add(Audit(workspace.Id, user, now,
            active ? ProvisioningOperation.SsoActivated : ProvisioningOperation.SsoDeactivated,
            active ? $"{Describe(sso.Protocol)} single sign-on activated." : $"{Describe(sso.Protocol)} single sign-on deactivated; SCIM provisioning stops until it is active again."));
        await db.SaveChangesAsync(ct);
        return SsoSaveResult.Ok;
    }

    /// <summary>
    /// Parses a certificate given as PEM, or as base64 DER (what IdP metadata contains). Returns an error message
    /// for text that is not a certificate, or a certificate that is expired or not yet valid.
    /// </summary>
    public static (CertificateInfo? Certificate, string? Error) ParseCertificate(string? text, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, "Upload or paste the identity provider's X.509 signing certificate.");
        }

        X509Certificate2 cert;
        try
        {
            cert = text.Contains("-----BEGIN", StringComparison.Ordinal)
                ? X509Certificate2.CreateFromPem(text)
                : X509CertificateLoader.LoadCertificate(Convert.FromBase64String(string.Concat(text.Where(c => !char.IsWhiteSpace(c)))));
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            return (null, "This is not an X.509 certificate. Paste the PEM text (-----BEGIN CERTIFICATE-----…) or upload the .cer/.pem file.");
        }

        using (cert)
        {
            var info = new CertificateInfo(cert.Subject, cert.Issuer, cert.NotBefore.ToUniversalTime(), cert.NotAfter.ToUniversalTime(),
                cert.Thumbprint, cert.ExportCertificatePem());
            if (info.NotAfter <= now.UtcDateTime)
            {
                return (info, $"This certificate expired on {info.NotAfter:yyyy-MM-dd HH:mm} UTC. Download the current signing certificate from the identity provider.");
            }

            return info.NotBefore > now.UtcDateTime
                ? (info, $"This certificate is not valid before {info.NotBefore:yyyy-MM-dd HH:mm} UTC.")
                : (info, null);
        }
    }

    /// <summary>Reads an uploaded certificate file (PEM text or DER bytes) as text <see cref="ParseCertificate"/> accepts.</summary>
    public static string CertificateTextFromFile(byte[] content)
    {
        var text = Encoding.UTF8.GetString(content);
        return text.Contains("-----BEGIN", StringComparison.Ordinal) ? text : Convert.ToBase64String(content);
    }

    /// <summary>Service-provider values for a workspace URL.</summary>
    public static ServiceProviderValues ServiceProviderFor(string publicUrl)
    {
        var root = publicUrl.TrimEnd('/');
        return new ServiceProviderValues($"{root}/sso/saml2", $"{root}/sso/saml2/acs", $"{root}/sso/oidc/callback");
    }

    private static string? ValidateHttpsUrl(string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return $"Enter the {what}.";
        }

        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return $"The {what} must be a full URL, like https://login.example.com/….";
        }

        return uri.Scheme == Uri.UriSchemeHttps || uri.IsLoopback ? null : $"The {what} must use https://.";
    }

    private async Task<SsoSaveResult> SaveAsync(ClaimsPrincipal user, string slug, Func<SsoConfiguration, string?> apply, CancellationToken ct, Dictionary<string, string>? errors = null)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var workspace = await FindAdministeredAsync(db, user, slug, ct) ?? throw await RefusedAsync(db, user, slug, ProvisioningOperation.SsoUpdated, ct);
        var sso = workspace.Sso;
        if (sso is null)
        {
            sso = new SsoConfiguration { WorkspaceId = workspace.Id };
            db.Add(sso);
        }

        var summary = apply(sso);
        if (summary is null)
        {
            return new SsoSaveResult(errors ?? new Dictionary<string, string>());
        }

        var now = time.GetUtcNow().UtcDateTime;
        sso.Updated = now;
        sso.UpdatedBy = Actor(user);
        db.ProvisioningEvents.Add(Audit(workspace.Id, user, now, ProvisioningOperation.SsoUpdated, summary));
        await db.SaveChangesAsync(ct);
        return SsoSaveResult.Ok;
    }

    /// <summary>
    /// An admin's activation or deactivation refused by validation: audited as a failure with the reason (nothing of
    /// the workspace is modified, so the SaveChanges writes only the audit row) and returned as the form's error.
    /// </summary>
    private async Task<SsoSaveResult> RefuseActivationAsync(
        PortalDbContext db, Guid workspaceId, ClaimsPrincipal user, ProvisioningOperation operation, string reason, CancellationToken ct)
    {
        var failure = Audit(workspaceId, user, time.GetUtcNow().UtcDateTime, operation, "Refused: " + reason);
        failure.Outcome = EventOutcome.Failure;
        db.ProvisioningEvents.Add(failure);
        await db.SaveChangesAsync(ct);
        return new SsoSaveResult(new Dictionary<string, string> { [ActivationField] = reason });
    }

    /// <summary>
    /// An attempt by an account that does not administer the workspace: audited against the workspace (Outcome
    /// Failure, the acting account as the database knows it) when the slug names one and the caller is signed in,
    /// then returned for the caller to throw. Nothing else is written.
    /// </summary>
    private async Task<UnauthorizedAccessException> RefusedAsync(PortalDbContext db, ClaimsPrincipal user, string slug, ProvisioningOperation operation, CancellationToken ct)
    {
        const string reason = "Not an administrator of this workspace.";
        var workspaceId = await db.Workspaces.Where(w => w.Slug == slug).Select(w => (Guid?)w.Id).FirstOrDefaultAsync(ct);
        if (workspaceId is { } id && user.FindFirstValue(ClaimTypes.NameIdentifier) is not null)
        {
            var actor = await PortalActor.RequireAsync(db, user, ct);
            db.ProvisioningEvents.Add(new ProvisioningEvent
            {
                WorkspaceId = id,
                OccurredAt = time.GetUtcNow().UtcDateTime,
                ActorKind = actor.IsCustomerSuccess ? ActorKind.CustomerSuccess : ActorKind.System,
                Actor = actor.Email,
                Operation = operation,
                Outcome = EventOutcome.Failure,
                ResourceType = "SsoConfiguration",
                Summary = "Refused: " + reason,
            });
            await db.SaveChangesAsync(ct);
        }

        return new UnauthorizedAccessException(reason);
    }

    private static async Task<Workspace?> FindAdministeredAsync(PortalDbContext db, ClaimsPrincipal user, string slug, CancellationToken ct)
    {
        var userId = user.FindFirstValue(ClaimTypes.NameIdentifier);
        return userId is null
            ? null
            : await db.Workspaces.Include(w => w.Sso)
                .FirstOrDefaultAsync(w => w.Slug == slug && w.Admins.Any(a => a.UserId == userId), ct);
    }

    private static bool IsComplete(SsoConfiguration sso) => sso.Protocol switch
    {
        SsoProtocol.Saml2 => !string.IsNullOrEmpty(sso.EntityIdOrIssuer) && !string.IsNullOrEmpty(sso.SignOnUrl) && !string.IsNullOrEmpty(sso.Certificate),
        SsoProtocol.OpenIdConnect => !string.IsNullOrEmpty(sso.EntityIdOrIssuer) && !string.IsNullOrEmpty(sso.ClientId) && sso.ProtectedClientSecret is not null,
        _ => false,
    };

    private SsoView ToView(Workspace w)
    {
        var sso = w.Sso;
        var cert = sso?.Certificate is { } pem ? ParseCertificate(pem, time.GetUtcNow()).Certificate : null;
        return new SsoView(w.Slug, w.Name, sso is not null, sso?.Protocol ?? SsoProtocol.Saml2, sso?.Active ?? false,
            sso?.EntityIdOrIssuer ?? "", sso?.SignOnUrl, cert, sso?.ClientId, sso?.ProtectedClientSecret is not null,
            sso?.Updated, sso?.UpdatedBy, ServiceProviderFor(w.PublicUrl));
    }

    public static string Describe(SsoProtocol protocol) => protocol == SsoProtocol.Saml2 ? "SAML 2.0" : "OpenID Connect";

    private static string Actor(ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.Email) ?? user.Identity?.Name ?? user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "unknown";

    private static ProvisioningEvent Audit(Guid workspaceId, ClaimsPrincipal user, DateTime now, ProvisioningOperation operation, string summary) => new()
    {
        WorkspaceId = workspaceId,
        OccurredAt = now,
        ActorKind = ActorKind.WorkspaceAdmin,
        Actor = Actor(user),
        Operation = operation,
        Outcome = EventOutcome.Success,
        ResourceType = "SsoConfiguration",
        Summary = summary,
    };
}
