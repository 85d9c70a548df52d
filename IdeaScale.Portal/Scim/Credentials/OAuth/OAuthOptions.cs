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
