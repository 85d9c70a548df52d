namespace IdeaScale.Portal.Data.Entities;

public enum SsoProtocol
{
    Saml2 = 1,
    OpenIdConnect = 2,
}

/// <summary>A workspace's single sign-on setup. SCIM is available only while <see cref="Active"/> is true.</summary>
public sealed class SsoConfiguration
{
    public Guid WorkspaceId { get; set; }
    public Workspace? Workspace { get; set; }

    public SsoProtocol Protocol { get; set; }

    /// <summary>SAML IdP entity id, or the OpenID Connect issuer.</summary>
    public string EntityIdOrIssuer { get; set; } = "";

    /// <summary>SAML single sign-on URL (unused for OpenID Connect).</summary>
    public string? SignOnUrl { get; set; }

    /// <summary>SAML signing certificate, PEM encoded.</summary>
    public string? Certificate { get; set; }

    public string? ClientId { get; set; }

    /// <summary>OpenID Connect client secret, Data Protection-encrypted. Never shown or logged in clear.</summary>
    public string? ProtectedClientSecret { get; set; }

    public bool Active { get; set; }
    public DateTime Updated { get; set; }
    public string? UpdatedBy { get; set; }
}
