namespace IdeaScale.Portal.Workspaces.ProvisioningHealth;

/// <summary>
/// Thresholds of the SCIM connection status (section "Scim:Health"; every key is documented in
/// appsettings.Example.json). The defaults follow Microsoft Entra ID's provisioning service: an incremental cycle
/// about every 40 minutes, and quarantine of a job whose requests mostly fail.
/// </summary>
public sealed class ProvisioningHealthOptions
{
    public const string Section = "Scim:Health";

    /// <summary>How far back the failure rate is computed (the status recovers this long after the last failure at most).</summary>
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromHours(6);

    /// <summary>How far back the IdP's cadence is learned; a workspace with no request in it but earlier ones is Silent.</summary>
    public TimeSpan ActivityWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Above this share of failed requests (in <see cref="FailureWindow"/>) the status is Failing ("most requests fail").</summary>
    public double FailingRate { get; set; } = 0.5;

    /// <summary>At or above this share of failed requests the status is Degraded (0: any failure).</summary>
    public double DegradedRate { get; set; }

    /// <summary>
    /// At or above this share of failed requests, with at least <see cref="QuarantineMinimumRequests"/> requests, the
    /// status warns that Microsoft Entra ID may quarantine the provisioning job (it then runs only once a day).
    /// </summary>
    public double QuarantineRiskRate { get; set; } = 0.4;

    /// <summary>Fewest requests in <see cref="FailureWindow"/> before a failure rate counts as a quarantine risk.</summary>
    public int QuarantineMinimumRequests { get; set; } = 5;

    /// <summary>
    /// Requests are grouped into slots of this length (a cycle's burst falls into one); the learned cadence is the
    /// active span divided by the number of active slots minus one.
    /// </summary>
    public TimeSpan CycleSlot { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Fewest active slots before a cadence is learned (fewer: only a fully quiet window makes it Silent).</summary>
    public int MinimumCycles { get; set; } = 3;

    /// <summary>Lower bound of the learned cadence (Entra's cycle is about 40 minutes; Okta pushes in real time).</summary>
    public TimeSpan MinimumCadence { get; set; } = TimeSpan.FromMinutes(40);

    /// <summary>Upper bound of the learned cadence.</summary>
    public TimeSpan MaximumCadence { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Silent when the IdP has not called for this many times its cadence (2: twice Entra's 40-minute cycle).</summary>
    public double SilenceFactor { get; set; } = 2;

    /// <summary>How often an open SCIM page re-reads the status (and the CS console and dashboard, while open).</summary>
    public TimeSpan PageRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);
}
