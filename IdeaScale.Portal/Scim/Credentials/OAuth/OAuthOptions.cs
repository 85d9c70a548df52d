namespace IdeaScale.Portal.Scim.Credentials.OAuth;

/// <summary>
/// The OAuth 2.0 authorization server for SCIM clients, bound from the "OAuth" configuration section. Every key is
/// documented in appsettings.Example.json.
/// </summary>
public sealed class OAuthOptions
{
    public const string Section = "OAuth";

    public static readonly TimeSpan MinAccessTokenLifetime = TimeSpan.FromMinutes(60);
    public static readonly TimeSpan MaxAccessTokenLifetime = TimeSpan.FromHours(6);

    /// <summary>
    /// The issuer (iss) of every token, e.g. https://portal.ideascale.com/. Unset: the origin of the request (a token
    /// is then accepted on the origin it was obtained from, which is how IdPs use the token and tenant URLs).
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>Lifetime of an access token (Entra's gallery rule: 60 minutes to 6 hours); clamped to that range.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = MinAccessTokenLifetime;

    /// <summary>Default lifetime of a new client secret in days (2 years); an admin may choose up to <see cref="MaxSecretLifetimeDays"/>.</summary>
    public int SecretLifetimeDays { get; set; } = 730;

    /// <summary>Longest lifetime of a client secret in days (3 years, Entra's gallery rule).</summary>
    public int MaxSecretLifetimeDays { get; set; } = 1095;

    /// <summary>
    /// Refuse plain-HTTP OAuth requests (on by default). Off only for local development and tests on loopback;
    /// behind a TLS-terminating proxy leave it on and forward the scheme (X-Forwarded-Proto).
    /// </summary>
    public bool RequireHttps { get; set; } = true;

    /// <summary>Token bucket per client id and per client IP on the token endpoint.</summary>
    public OAuthRateLimitOptions TokenRateLimit { get; set; } = new();

    /// <summary>Signing and encryption keys; generated once and kept in the database when no certificate is configured.</summary>
    public OAuthKeyOptions Keys { get; set; } = new();

    /// <summary>Workload identity federation: how client assertions and the IdP tenant's JWKS are checked and fetched.</summary>
    public OAuthFederationOptions Federation { get; set; } = new();

    /// <summary>Periodic deletion of OpenIddict's dead token and authorization rows (<see cref="OAuthPruning"/>).</summary>
    public OAuthPruningOptions Pruning { get; set; } = new();

    /// <summary>The lifetime actually used, within Entra's 60 minutes to 6 hours.</summary>
    public TimeSpan EffectiveAccessTokenLifetime =>
        AccessTokenLifetime < MinAccessTokenLifetime ? MinAccessTokenLifetime
        : AccessTokenLifetime > MaxAccessTokenLifetime ? MaxAccessTokenLifetime
        : AccessTokenLifetime;
}

public sealed class OAuthRateLimitOptions
{
    /// <summary>Token requests a client id may make per minute (burst and refill); 0 turns the per-client limit off.</summary>
    public int PerClientPerMinute { get; set; } = 20;

    /// <summary>Token requests one IP address may make per minute; 0 turns the per-IP limit off.</summary>
    public int PerIpPerMinute { get; set; } = 60;
}

public sealed class OAuthKeyOptions
{
    /// <summary>A PKCS#12 (.pfx) certificate to sign tokens with, instead of the key kept in the database.</summary>
    public string? SigningCertificatePath { get; set; }
    public string? SigningCertificatePassword { get; set; }

    /// <summary>A PKCS#12 (.pfx) certificate to encrypt tokens with, instead of the key kept in the database.</summary>
    public string? EncryptionCertificatePath { get; set; }
    public string? EncryptionCertificatePassword { get; set; }
}

public sealed class OAuthFederationOptions
{
    /// <summary>
    /// Accept a JWKS URL with http:// (off by default: https only). Only for tests and local development against a
    /// JWKS served on loopback; never in production, where the keys that authenticate an IdP must come over TLS.
    /// </summary>
    public bool AllowHttpJwks { get; set; }

    /// <summary>How long one JWKS download may take (connect, headers and body) before the assertion is refused.</summary>
    public TimeSpan JwksTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest JWKS response accepted, in bytes; a larger one is refused.</summary>
    public int MaxJwksBytes { get; set; } = 64 * 1024;

    /// <summary>How long a downloaded JWKS is used before it is fetched again.</summary>
    public TimeSpan JwksCacheDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// An assertion signed with a key id the cached JWKS does not have fetches the JWKS again (the tenant rotated its
    /// keys), at most once per this interval per URL.
    /// </summary>
    public TimeSpan JwksRefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Clock skew allowed on the assertion's exp and nbf.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Refuse an assertion whose jti was already used (until its exp). Off by default: Entra's assertions are tokens
    /// of its own tenant that its provisioning service may present more than once while they are valid. The memory of
    /// used ids is per app instance.
    /// </summary>
    public bool RejectReplayedAssertions { get; set; }
}

public sealed class OAuthPruningOptions
{
    /// <summary>How often pruning runs; zero (or less) turns it off.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Only rows created longer ago than this are pruned (OpenIddict's PruneAsync threshold).</summary>
    public TimeSpan MinimumAge { get; set; } = TimeSpan.FromDays(14);
}
