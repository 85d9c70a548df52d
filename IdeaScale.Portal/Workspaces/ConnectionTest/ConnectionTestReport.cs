namespace IdeaScale.Portal.Workspaces.ConnectionTest;

/// <summary>Which identity provider's own test a probe reproduces.</summary>
[Flags]
public enum ProbeIdp
{
    None = 0,
    EntraId = 1,
    Okta = 2,
}

/// <summary>
/// One probe as sent and answered. <see cref="RequestHeaders"/> are shown with the credential redacted; the token
/// itself never leaves <see cref="ScimConnectionTest"/>.
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
    string Explanation);

/// <summary>The result of "Test connection": every probe, and whether Entra's and Okta's tests would pass.</summary>
/// <param name="Cause">Why the endpoint fails, in plain language with what to do (null when everything passed).</param>
public sealed record ConnectionTestReport(
    DateTime At,
    string BaseUrl,
    IReadOnlyList<ConnectionProbe> Probes,
    string? Cause)
{
    public bool Passed => Probes.Count > 0 && Probes.All(p => p.Passed);
    public bool EntraWillPass => Probes.Where(p => p.Idps.HasFlag(ProbeIdp.EntraId)).All(p => p.Passed) && Probes.Any(p => p.Idps.HasFlag(ProbeIdp.EntraId));
    public bool OktaWillPass => Probes.Where(p => p.Idps.HasFlag(ProbeIdp.Okta)).All(p => p.Passed) && Probes.Any(p => p.Idps.HasFlag(ProbeIdp.Okta));
}
