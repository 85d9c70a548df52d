namespace IdeaScale.Portal.Scim.Credentials.OAuth;

/// <summary>
/// Workload identity federation settings of a workspace client, as the admin pastes them from the IdP: the issuer,
/// subject and audience a client assertion must carry, and the URL of the JWKS whose keys sign it.
/// </summary>
public sealed record OAuthFederationSettings(string Issuer, string JwksUrl, string Subject, string Audience)
{
    public const int MaxValueLength = 512;
    public const int MaxUrlLength = 2048;

    /// <summary>Trimmed settings, or <see cref="InvalidOperationException"/> naming the field that is wrong (shown to the admin).</summary>
    public OAuthFederationSettings Validated(bool allowHttpJwks)
    {
        var issuer = Required(Issuer, "Issuer", MaxValueLength);
        var subject = Required(Subject, "Subject", MaxValueLength);
        var audience = Required(Audience, "Audience", MaxValueLength);
        var jwks = Required(JwksUrl, "JWKS URL", MaxUrlLength);
        if (!FederationJwks.IsAcceptableUrl(jwks, allowHttpJwks))
        {
            throw new InvalidOperationException(allowHttpJwks
                ? "The JWKS URL must be an absolute http or https URL without user name or password."
                : "The JWKS URL must be an absolute https URL without user name or password.");
        }

        return new OAuthFederationSettings(issuer, jwks, subject, audience);
    }

    private static string Required(string? value, string name, int max)
    {
        var trimmed = value?.Trim() ?? "";
        return trimmed.Length == 0 ? throw new InvalidOperationException($"{name} is required.")
            : trimmed.Length > max ? throw new InvalidOperationException($"{name} is longer than {max} characters.")
            : trimmed;
    }
}
