using System.Globalization;

namespace IdeaScale.Portal.Workspaces.ProvisioningHealth;

/// <summary>The SCIM connection status of a workspace, worst last.</summary>
public enum HealthState
{
    /// <summary>No identity provider request has ever reached the workspace.</summary>
    NeverContacted,

    /// <summary>Recent requests succeed.</summary>
    Healthy,

    /// <summary>Some recent requests fail.</summary>
    Degraded,

    /// <summary>Most recent requests fail.</summary>
    Failing,

    /// <summary>
    /// The IdP was active and has not called within its expected cadence, or every request since the token was
    /// replaced was refused with 401 (it still uses the old token).
    /// </summary>
    Silent,
}

/// <summary>Why a workspace is <see cref="HealthState.Silent"/>.</summary>
public enum SilenceReason
{
    None,
    OverdueCycle,
    NoRequestInWindow,
    OldTokenRefused,
}

/// <summary>
/// What the database knows about a workspace's recent IdP traffic (ActorKind IdentityProvider rows), from one
/// aggregate over all workspaces (<see cref="WorkspaceHealthQuery"/>). Times are UTC.
/// </summary>
/// <param name="Requests">Requests in the failure window.</param>
/// <param name="Failures">Of those, failures (<see cref="Scim.Credentials.ScimCredentialUsage.IsFailure"/>).</param>
/// <param name="FirstAt">First request in the activity window.</param>
/// <param name="LastAt">Last request in the activity window.</param>
/// <param name="LastAcceptedAt">Last request in the activity window that was not refused with 401.</param>
/// <param name="ActiveSlots">Cycle slots with at least one request in the activity window.</param>
/// <param name="EverContactedAt">Last time any of the workspace's credentials was used (to tell quiet from never contacted).</param>
/// <param name="TokenReplacedAt">When the previous token stopped working (or the current one was issued), if known.</param>
public sealed record HealthFacts(
    int Requests, int Failures, DateTime? FirstAt, DateTime? LastAt, DateTime? LastAcceptedAt, int ActiveSlots,
    DateTime? EverContactedAt, DateTime? TokenReplacedAt)
{
    public static HealthFacts None { get; } = new(0, 0, null, null, null, 0, null, null);
}

/// <summary>
/// The status chip of a workspace: the state, a one-line label, a plain-language explanation with what to do, the
/// numbers behind it, and which provisioning-log entries explain it (<see cref="LogFrom"/>, <see cref="LogOnlyFailures"/>,
/// <see cref="LogOnlyAuthenticationFailures"/>).
/// </summary>
public sealed record WorkspaceHealth(
    HealthState State,
    SilenceReason Silence,
    string Label,
    string Explanation,
    int Requests,
    int Failures,
    TimeSpan? Cadence,
    DateTime? LastRequestAt,
    bool QuarantineRisk,
    DateTime LogFrom,
    bool LogOnlyFailures,
    bool LogOnlyAuthenticationFailures)
{
    public double FailureRate => Requests == 0 ? 0 : (double)Failures / Requests;

    /// <summary>
    /// Computes the status from <paramref name="facts"/> at <paramref name="now"/>. Order: never contacted; the old
    /// token refused since a replacement (Silent); no request for <see cref="ProvisioningHealthOptions.SilenceFactor"/>
    /// times the learned cadence (Silent); then the failure rate: above <see cref="ProvisioningHealthOptions.FailingRate"/>
    /// Failing, at or above <see cref="ProvisioningHealthOptions.DegradedRate"/> with a failure Degraded, else Healthy.
    /// </summary>
    public static WorkspaceHealth Assess(HealthFacts facts, DateTime now, ProvisioningHealthOptions options)
    {
        var failureFrom = now - options.FailureWindow;
        var activityFrom = now - options.ActivityWindow;
        var rate = facts.Requests == 0 ? 0 : (double)facts.Failures / facts.Requests;
        var quarantine = facts.Requests >= options.QuarantineMinimumRequests && rate >= options.QuarantineRiskRate;
        var lastRequest = facts.LastAt ?? facts.EverContactedAt;
        var cadence = LearnCadence(facts, options);

        if (facts.LastAt is null && facts.EverContactedAt is null)
        {
            return new(HealthState.NeverContacted, SilenceReason.None, "Never contacted",
                "No identity provider has called this workspace's SCIM endpoint yet. Enter the Tenant URL and the secret token in your identity provider, then use Test connection.",
                0, 0, null, null, false, activityFrom, false, false);
        }

        if (facts.TokenReplacedAt is { } replaced && facts.LastAt is { } last && last >= replaced
            && (facts.LastAcceptedAt is null || facts.LastAcceptedAt < replaced))
        {
            return new(HealthState.Silent, SilenceReason.OldTokenRefused, "Silent: old token refused",
                $"Every request since the SCIM token was replaced at {Time(replaced)} was refused (401): your identity provider still uses the old token. " +
                "Paste the new token into Microsoft Entra ID's Secret Token (or Okta's Bearer token) and test the connection there. " +
                "Microsoft Entra ID quarantines a provisioning job whose requests keep failing and then runs it only once a day.",
                facts.Requests, facts.Failures, cadence, lastRequest, true, replaced < activityFrom ? activityFrom : replaced, false, true);
        }

        if (facts.LastAt is null)
        {
            return new(HealthState.Silent, SilenceReason.NoRequestInWindow, "Silent",
                $"Your identity provider has not called for more than {Span(options.ActivityWindow)} (last request {Time(lastRequest!.Value)}). " +
                "Check that provisioning is still running in your identity provider (Entra: Provisioning › Start provisioning; Okta: Provisioning › To App).",
                0, 0, null, lastRequest, false, activityFrom, false, false);
        }

        if (cadence is { } expected && now - facts.LastAt.Value > expected * options.SilenceFactor)
        {
            return new(HealthState.Silent, SilenceReason.OverdueCycle, "Silent",
                $"Your identity provider usually calls about every {Span(expected)}, but its last request was {Time(facts.LastAt.Value)}. " +
                "Check that provisioning is still running in your identity provider, and whether it reports errors or a quarantine.",
                facts.Requests, facts.Failures, expected, lastRequest, quarantine, activityFrom, false, false);
        }

        var risk = quarantine
            ? $" At this failure rate Microsoft Entra ID may quarantine the provisioning job (it then runs only once a day): fix the failures, then restart provisioning in Entra."
            : "";
        var counts = string.Create(CultureInfo.InvariantCulture, $"{facts.Failures} of {facts.Requests} requests in the last {Span(options.FailureWindow)} failed");
        if (facts.Requests > 0 && rate > options.FailingRate)
        {
            return new(HealthState.Failing, SilenceReason.None, "Failing",
                $"{counts}. Open the failed entries of the provisioning log to see why.{risk}",
                facts.Requests, facts.Failures, cadence, lastRequest, quarantine, failureFrom, true, false);
        }

        if (facts.Failures > 0 && rate >= options.DegradedRate)
        {
            return new(HealthState.Degraded, SilenceReason.None, "Degraded",
                $"{counts}; the others succeeded. Open the failed entries of the provisioning log to see why.{risk}",
                facts.Requests, facts.Failures, cadence, lastRequest, quarantine, failureFrom, true, false);
        }

        return new(HealthState.Healthy, SilenceReason.None, "Healthy",
            facts.Requests == 0
                ? $"No failure in the last {Span(options.FailureWindow)}; the last request was {Time(facts.LastAt.Value)}."
                : string.Create(CultureInfo.InvariantCulture, $"All {facts.Requests} requests in the last {Span(options.FailureWindow)} succeeded."),
            facts.Requests, facts.Failures, cadence, lastRequest, false, activityFrom, false, false);
    }

    /// <summary>
    /// The IdP's cycle as observed: the active span divided by the active slots minus one (a cycle's burst fills one
    /// slot), within the configured bounds; null before <see cref="ProvisioningHealthOptions.MinimumCycles"/> slots.
    /// </summary>
    internal static TimeSpan? LearnCadence(HealthFacts facts, ProvisioningHealthOptions options)
    {
        if (facts.ActiveSlots < Math.Max(2, options.MinimumCycles) || facts.FirstAt is not { } first || facts.LastAt is not { } last)
        {
            return null;
        }

        var observed = (last - first) / (facts.ActiveSlots - 1);
        return observed < options.MinimumCadence ? options.MinimumCadence
            : observed > options.MaximumCadence ? options.MaximumCadence
            : observed;
    }

    private static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string Span(TimeSpan span) => span.TotalMinutes < 120
        ? string.Create(CultureInfo.InvariantCulture, $"{Math.Round(span.TotalMinutes)} minutes")
        : string.Create(CultureInfo.InvariantCulture, $"{Math.Round(span.TotalHours, 1)} hours");
}
