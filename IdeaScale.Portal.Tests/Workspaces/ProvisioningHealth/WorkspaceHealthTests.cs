using IdeaScale.Portal.Workspaces.ProvisioningHealth;

using Microsoft.Extensions.Time.Testing;

namespace IdeaScale.Portal.Tests.Workspaces.ProvisioningHealth;

/// <summary>Each connection state from the facts of a window, at the time of a fake clock, with the default thresholds.</summary>
public sealed class WorkspaceHealthTests
{
    private static readonly ProvisioningHealthOptions Defaults = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero));

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private static HealthFacts Facts(
        int requests = 0, int failures = 0, DateTime? first = null, DateTime? last = null, DateTime? accepted = null, int slots = 0,
        DateTime? ever = null, DateTime? replaced = null) =>
        new(requests, failures, first, last, accepted ?? last, slots, ever ?? last, replaced);

    private WorkspaceHealth Assess(HealthFacts facts) => WorkspaceHealth.Assess(facts, Now, Defaults);

    [Fact]
    public void Assess_NoRequestEver_IsNeverContacted()
    {
        var health = Assess(HealthFacts.None);

        Assert.Equal(HealthState.NeverContacted, health.State);
        Assert.Contains("Test connection", health.Explanation, StringComparison.Ordinal);
        Assert.False(health.QuarantineRisk);
    }

    [Fact]
    public void Assess_AllRecentRequestsSucceed_IsHealthy()
    {
        var health = Assess(Facts(requests: 20, first: Now.AddHours(-5), last: Now.AddMinutes(-10), slots: 8));

        Assert.Equal(HealthState.Healthy, health.State);
        Assert.Contains("All 20 requests", health.Explanation, StringComparison.Ordinal);
        Assert.False(health.LogOnlyFailures);
    }

    [Fact]
    public void Assess_SomeFailures_IsDegradedAndLinksToTheFailures()
    {
        var health = Assess(Facts(requests: 20, failures: 3, first: Now.AddHours(-5), last: Now.AddMinutes(-10), slots: 8));

        Assert.Equal(HealthState.Degraded, health.State);
        Assert.Contains("3 of 20 requests", health.Explanation, StringComparison.Ordinal);
        Assert.False(health.QuarantineRisk);
        Assert.True(health.LogOnlyFailures);
        Assert.Equal(Now - Defaults.FailureWindow, health.LogFrom);
    }

    [Fact]
    public void Assess_OneOldFailureOutsideTheFailureWindow_IsHealthyAgain()
    {
        // The aggregate counts only the failure window: a failure 7 hours ago is not in Requests/Failures any more.
        var health = Assess(Facts(requests: 5, failures: 0, first: Now.AddHours(-7), last: Now.AddMinutes(-5), slots: 6));

        Assert.Equal(HealthState.Healthy, health.State);
    }

    [Fact]
    public void Assess_MostRequestsFail_IsFailingWithQuarantineWarning()
    {
        var health = Assess(Facts(requests: 10, failures: 8, first: Now.AddHours(-3), last: Now.AddMinutes(-2), slots: 5));

        Assert.Equal(HealthState.Failing, health.State);
        Assert.True(health.QuarantineRisk);
        Assert.Contains("quarantine", health.Explanation, StringComparison.Ordinal);
        Assert.Contains("once a day", health.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Assess_HalfOfTheRequestsFail_IsDegradedNotFailing_ButAtQuarantineRisk()
    {
        var health = Assess(Facts(requests: 10, failures: 5, first: Now.AddHours(-3), last: Now.AddMinutes(-2), slots: 5));

        Assert.Equal(HealthState.Degraded, health.State);
        Assert.True(health.QuarantineRisk);
    }

    [Fact]
    public void Assess_FewRequestsAllFailing_IsFailingWithoutQuarantineRisk()
    {
        // Two failed requests are too few to say Entra would quarantine the job.
        var health = Assess(Facts(requests: 2, failures: 2, last: Now.AddMinutes(-1), slots: 1));

        Assert.Equal(HealthState.Failing, health.State);
        Assert.False(health.QuarantineRisk);
    }

    [Fact]
    public void Assess_EntraCycleOverdueTwice_IsSilentWithTheLearnedCadence()
    {
        // Entra called every 40 minutes (4 cycles), then nothing for 81 minutes: more than twice its cadence.
        var last = Now.AddMinutes(-81);
        var health = Assess(Facts(requests: 12, first: last.AddMinutes(-120), last: last, slots: 4));

        Assert.Equal(HealthState.Silent, health.State);
        Assert.Equal(SilenceReason.OverdueCycle, health.Silence);
        Assert.Equal(TimeSpan.FromMinutes(40), health.Cadence);
        Assert.Contains("about every 40 minutes", health.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Assess_EntraCycleOverdueOnce_IsStillHealthy()
    {
        var last = Now.AddMinutes(-79);
        var health = Assess(Facts(requests: 12, first: last.AddMinutes(-120), last: last, slots: 4));

        Assert.Equal(HealthState.Healthy, health.State);
    }

    [Fact]
    public void Assess_SlowIdp_LearnsItsLongerCadence()
    {
        // A directory that syncs every 3 hours: 3 hours of quiet is normal, 7 is not.
        var last = Now.AddHours(-3);
        Assert.Equal(HealthState.Healthy, Assess(Facts(requests: 6, first: last.AddHours(-15), last: last, slots: 6)).State);
        last = Now.AddHours(-7);
        var late = Assess(Facts(requests: 6, first: last.AddHours(-15), last: last, slots: 6));
        Assert.Equal(HealthState.Silent, late.State);
        Assert.Equal(TimeSpan.FromHours(3), late.Cadence);
    }

    [Fact]
    public void Assess_BusyIdp_CadenceIsBoundedBelowByEntrasCycle()
    {
        // Traffic in every slot would learn 10 minutes; the lower bound keeps 40, so 30 quiet minutes are fine.
        var last = Now.AddMinutes(-30);
        var health = Assess(Facts(requests: 500, first: last.AddHours(-5), last: last, slots: 31));

        Assert.Equal(HealthState.Healthy, health.State);
        Assert.Equal(Defaults.MinimumCadence, health.Cadence);
    }

    [Fact]
    public void Assess_TooFewCyclesToLearn_NoCadenceSilence()
    {
        var last = Now.AddHours(-5);
        var health = Assess(Facts(requests: 3, first: last.AddMinutes(-5), last: last, slots: 1));

        Assert.Null(health.Cadence);
        Assert.Equal(HealthState.Healthy, health.State);
    }

    [Fact]
    public void Assess_NoRequestInTheActivityWindowButEarlierOnes_IsSilent()
    {
        var health = Assess(Facts(ever: Now.AddDays(-3)));

        Assert.Equal(HealthState.Silent, health.State);
        Assert.Equal(SilenceReason.NoRequestInWindow, health.Silence);
    }

    [Fact]
    public void Assess_Only401sSinceTheTokenWasReplaced_IsSilentSayingTheOldTokenIsUsed()
    {
        var replaced = Now.AddMinutes(-30);
        var health = Assess(Facts(requests: 30, failures: 6, first: Now.AddHours(-5), last: Now.AddMinutes(-1),
            accepted: replaced.AddMinutes(-2), slots: 9, replaced: replaced));

        Assert.Equal(HealthState.Silent, health.State);
        Assert.Equal(SilenceReason.OldTokenRefused, health.Silence);
        Assert.Contains("2026-03-02 11:30 UTC", health.Explanation, StringComparison.Ordinal);
        Assert.Contains("still uses the old token", health.Explanation, StringComparison.Ordinal);
        Assert.Contains("Secret Token", health.Explanation, StringComparison.Ordinal);
        Assert.True(health.QuarantineRisk);
        Assert.True(health.LogOnlyAuthenticationFailures);
        Assert.Equal(replaced, health.LogFrom);
    }

    [Fact]
    public void Assess_AcceptedRequestAfterTheReplacement_IsNotSilent()
    {
        // The IdP got the new token: its last 401 came before an accepted request.
        var replaced = Now.AddMinutes(-30);
        var health = Assess(Facts(requests: 30, failures: 2, first: Now.AddHours(-5), last: Now.AddMinutes(-1),
            accepted: Now.AddMinutes(-1), slots: 9, replaced: replaced));

        Assert.Equal(HealthState.Degraded, health.State);
    }

    [Fact]
    public void Assess_NoRequestSinceTheReplacement_IsJudgedByTheRate()
    {
        var health = Assess(Facts(requests: 10, first: Now.AddHours(-2), last: Now.AddMinutes(-40), slots: 4, replaced: Now.AddMinutes(-10)));

        Assert.Equal(HealthState.Healthy, health.State);
    }
}
