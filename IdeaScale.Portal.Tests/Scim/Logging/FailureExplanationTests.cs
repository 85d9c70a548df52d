using IdeaScale.Portal.Scim.Credentials;
using IdeaScale.Portal.Scim.Logging;

namespace IdeaScale.Portal.Tests.Scim.Logging;

public sealed class FailureExplanationTests
{
    private static readonly DateTime At = new(2026, 3, 4, 15, 30, 0, DateTimeKind.Utc);

    private static FailureFacts Facts(IReadOnlyList<AuditFact>? regenerations = null, IReadOnlyList<AuditFact>? disables = null) =>
        new(regenerations ?? [], disables ?? [], [], 50, 100);

    [Fact]
    public void For_401AfterARegeneration_NamesTheReplacementTimeAndWhereToPasteTheNewToken()
    {
        var facts = Facts(regenerations: [new AuditFact(At.AddHours(-3), "old@x"), new AuditFact(At.AddMinutes(-88), "admin@ides.example"), new AuditFact(At.AddHours(1), "later@x")]);

        var why = FailureExplanations.For(401, null, null, At, facts)!;

        Assert.Contains("still uses the token replaced at 2026-03-04 14:02 UTC", why.What, StringComparison.Ordinal);
        Assert.Contains("admin@ides.example", why.What, StringComparison.Ordinal);
        Assert.Contains("Secret Token", why.ToDo, StringComparison.Ordinal);
    }

    [Fact]
    public void For_401WithoutRegeneration_SaysTheTokenIsNotValidHere()
    {
        var why = FailureExplanations.For(401, null, null, At, Facts(regenerations: [new AuditFact(At.AddMinutes(5), "admin@x")]))!;

        Assert.Contains("no valid SCIM token", why.What, StringComparison.Ordinal);
    }

    [Fact]
    public void For_403ScimDisabled_SaysWhoWhenAndWhy()
    {
        var facts = Facts(disables: [new AuditFact(At.AddDays(-1), "csm@ideascale.example", "Contract paused until renewal")]);

        var why = FailureExplanations.For(403, ScimAuthentication.ScimDisabledDetail, null, At, facts)!;

        Assert.Equal("SCIM was disabled for this workspace by csm@ideascale.example at 2026-03-03 15:30 UTC: Contract paused until renewal", why.What);
        Assert.Contains("Customer Success Manager", why.ToDo, StringComparison.Ordinal);
    }

    [Fact]
    public void For_403SsoInactive_SaysSsoIsNeeded()
    {
        var why = FailureExplanations.For(403, ScimAuthentication.SsoInactiveDetail, null, At, Facts())!;

        Assert.Contains("needs active SSO", why.What, StringComparison.Ordinal);
    }

    [Fact]
    public void For_409Uniqueness_NamesTheAttributeValueAndTheExistingMember()
    {
        var details = new ProvisioningDetails { ScimType = "uniqueness", ConflictAttribute = "userName", ConflictValue = "ann@x" };

        var why = FailureExplanations.For(409, "A user with userName 'ann@x' already exists", details, At, Facts(), "Ann Lee (ann@x)")!;

        Assert.Equal("Another member already has userName 'ann@x': Ann Lee (ann@x).", why.What);
    }

    [Fact]
    public void For_InvalidFilter_QuotesTheDetailAndPointsToTheSchemas()
    {
        var details = new ProvisioningDetails { ScimType = "invalidFilter" };

        var why = FailureExplanations.For(400, "Unknown attribute 'mail'.", details, At, Facts())!;

        Assert.Contains("Unknown attribute 'mail'.", why.What, StringComparison.Ordinal);
        Assert.Contains("/scim/v2/Schemas", why.ToDo, StringComparison.Ordinal);
        Assert.Null(FailureExplanations.For(400, "Bad value", new ProvisioningDetails { ScimType = "invalidValue" }, At, Facts()));
    }

    [Fact]
    public void For_429_GivesTheLimitAndWhenItClears()
    {
        var why = FailureExplanations.For(429, null, new ProvisioningDetails { RetryAfterSeconds = 7 }, At, Facts())!;

        Assert.Contains("more than 50 requests per second (bursts of up to 100)", why.What, StringComparison.Ordinal);
        Assert.Contains("cleared at 15:30:07 UTC (7 s later)", why.What, StringComparison.Ordinal);
    }

    [Fact]
    public void Details_RoundTripThroughJson_AndEmptyDetailsAreNotStored()
    {
        var details = new ProvisioningDetails { Changes = [new AttributeChange("title", "A", "B")], Members = new MembershipChange(["ann"], 2, [], 0) };

        var back = ProvisioningDetails.Parse(details.Serialize())!;

        Assert.Equal(details.Changes, back.Changes);
        Assert.Equal(["ann"], back.Members!.Added);
        Assert.Equal(2, back.Members.AddedMore);
        Assert.Null(new ProvisioningDetails().Serialize());
        Assert.Null(ProvisioningDetails.Parse("not json"));
    }
}
