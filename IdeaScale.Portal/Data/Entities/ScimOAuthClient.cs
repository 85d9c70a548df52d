namespace IdeaScale.Portal.Data.Entities;

/// <summary>
/// An OAuth 2.0 client-credentials client of one workspace (how Microsoft Entra ID connects with OAuth). Its
/// protocol side is an OpenIddict application (<see cref="ApplicationId"/>, client id <see cref="ClientId"/>);
/// this row binds it to the workspace, holds its secrets (<see cref="Secrets"/>, at most two active for a gap-free
/// rotation) and records its last use like <see cref="ScimCredential"/> does for a token. Deleting the row (with
/// its application) stops the client's access tokens on the next SCIM request (Scim/Credentials/OAuth/ScimOAuthHandler.cs).
/// </summary>
public sealed class ScimOAuthClient
{
    public Guid Id { get; set; } = Guid.NewGuid();
    public Guid WorkspaceId { get; set; }
    public Workspace? Workspace { get; set; }

    /// <summary>The OAuth client_id the IdP sends; unique.</summary>
    public required string ClientId { get; set; }

    /// <summary>Id of the OpenIddict application row.</summary>
    public required string ApplicationId { get; set; }

    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }

    public List<ScimOAuthSecret> Secrets { get; set; } = [];

    /// <summary>
    /// Workload identity federation (Entra): the client authenticates with a JWT client assertion signed by the
    /// IdP's tenant instead of a secret. The expected issuer (iss), subject (sub) and audience (aud) of the assertion
    /// and the https URL of the tenant's JWKS, as the admin pasted them; all four null when not configured
    /// (Scim/Credentials/OAuth/FederatedClientAssertion.cs).
    /// </summary>
    public string? FederationIssuer { get; set; }
    public string? FederationJwksUrl { get; set; }
    public string? FederationSubject { get; set; }
    public string? FederationAudience { get; set; }

    /// <summary>
    /// A new value on every change of the federation settings; access tokens obtained by federation carry it, so
    /// changing or removing the settings stops them on the next request. Null when federation is not configured.
    /// </summary>
    public Guid? FederationId { get; set; }

    public DateTime? LastUsedAt { get; set; }
    public string? LastUsedIp { get; set; }
    public string? LastUsedClient { get; set; }
    public DateTime? LastSuccessAt { get; set; }
    public DateTime? LastFailureAt { get; set; }
    public int? LastFailureStatus { get; set; }
}

/// <summary>
/// One client secret. Only OpenIddict's hash of it is stored (<see cref="Hash"/>, PBKDF2 with a salt per secret), so
/// it cannot be shown again: the admin sees it once when it is created. <see cref="Hint"/> (its last four
/// characters) lets the admin tell two active secrets apart.
/// </summary>
public sealed class ScimOAuthSecret
{
    public Guid Id { get; set; } = Guid.NewGuid();
    public Guid ClientId { get; set; }
    public ScimOAuthClient? Client { get; set; }

    public required string Hash { get; set; }
    public required string Hint { get; set; }

    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
    public DateTime ExpiresAt { get; set; }
}

/// <summary>
/// A signing or encryption key of the OAuth authorization server, generated once and kept in the database
/// encrypted with ASP.NET Core Data Protection, so tokens survive restarts and every node shares the keys.
/// </summary>
public sealed class OAuthServerKey
{
    public Guid Id { get; set; } = Guid.NewGuid();

    /// <summary>"sig" or "enc" (JWK "use").</summary>
    public required string Use { get; set; }

    /// <summary>The RSA private key (PKCS#8), Data Protection-protected, base64.</summary>
    public required string ProtectedKey { get; set; }

    public DateTime CreatedAt { get; set; }
}
