namespace IdeaScale.Portal.Workspaces.ConnectionTest;

/// <summary>Which identity provider's own test a probe reproduces.</summary>
[Flags]
public enum ProbeIdp
{
    None = 0,
    EntraId = 1,
    Okta = 2,

    /// <summary>Microsoft Entra ID connected with OAuth 2.0 client credentials (token exchange, then SCIM with the access token).</summary>
    EntraIdOAuth = 4,
}

/// <summary>Whether the OAuth client-credentials exchange was part of a test.</summary>
public enum OAuthTestScope
{
    /// <summary>The workspace has no OAuth client: nothing to test.</summary>
    NoClient,

    /// <summary>The workspace has a client, but no client secret was entered: the OAuth probes did not run.</summary>
    SecretNotEntered,

    /// <summary>The metadata, token exchange and SCIM-with-access-token probes ran.</summary>
    Included,
}

/// <summary>
/// One probe as sent and answered. <see cref="RequestHeaders"/>, <see cref="RequestBody"/> and <see cref="Body"/> are
/// shown with every credential redacted (SCIM token, client secret, access token); the credentials themselves never
/// leave <see cref="ScimConnectionTest"/>.
/// </summary>
public sealed record ConnectionProbe(
    string Name,
    ProbeIdp Idps,
    string Method,
    string Target,
    IReadOnlyList<string> RequestHeaders,
    int? Status,
    string? ContentType,
    string? Body,
    bool Passed,
    string Explanation,
    string? RequestBody = null);

/// <summary>The result of "Test connection": every probe, and whether Entra's and Okta's tests would pass.</summary>
/// <param name="Cause">Why the endpoint fails, in plain language with what to do (null when everything passed).</param>
/// <param name="OAuth">Whether the OAuth token exchange was tested (<see cref="OAuthClientId"/> is the client's id when there is one).</param>
public sealed record ConnectionTestReport(
    DateTime At,
    string BaseUrl,
    IReadOnlyList<ConnectionProbe> Probes,
    string? Cause,
    OAuthTestScope OAuth = OAuthTestScope.NoClient,
    string? OAuthClientId = null)
{
    public bool Passed => Probes.Count > 0 && Probes.All(p => p.Passed);
    public bool EntraWillPass => WillPass(ProbeIdp.EntraId);
    public bool OktaWillPass => WillPass(ProbeIdp.Okta);

    /// <summary>Entra's Test Connection with OAuth client credentials will pass (only when the exchange was tested).</summary>
    public bool EntraOAuthWillPass => OAuth == OAuthTestScope.Included && WillPass(ProbeIdp.EntraIdOAuth);

    private bool WillPass(ProbeIdp idp) => Probes.Any(p => p.Idps.HasFlag(idp)) && Probes.Where(p => p.Idps.HasFlag(idp)).All(p => p.Passed);
}
