using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Tests.Scim.Logging;

public sealed class ResourceDiffTests
{
    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();

    private const string Enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    [Fact]
    public void Compare_ChangedAddedAndRemovedAttributes_AreListedBeforeToAfterByRegistryPath()
    {
        var before = Json($$"""
            {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"1","userName":"ann@x","title":"Engineer","nickName":"Annie",
             "name":{"givenName":"Ann","familyName":"Lee"},"emails":[{"value":"ann@x","type":"work","primary":true}],
             "meta":{"resourceType":"User","version":"W/\"1\""},"groups":[{"value":"g1","display":"Eng"}]}
            """);
        var after = Json($$"""
            {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"1","userName":"ann@x","title":"Lead",
             "name":{"givenName":"Anne","familyName":"Lee"},"emails":[{"value":"anne@x","type":"work","primary":true}],
             "{{Enterprise}}":{"department":"R&D"},
             "meta":{"resourceType":"User","version":"W/\"2\""},"groups":[]}
            """);

        var changes = ResourceDiff.Compare(ScimRegistry.UserType, before, after);

        Assert.Equal(
            [
                new AttributeChange("title", "Engineer", "Lead"),
                new AttributeChange("name.givenName", "Ann", "Anne"),
                new AttributeChange("emails", "ann@x (work, primary)", "anne@x (work, primary)"),
                new AttributeChange("department", null, "R&D"),
                new AttributeChange("nickName", "Annie", null),
            ],
            changes);
    }

    [Fact]
    public void Compare_SameRepresentation_HasNoChangeAndSkipsReadOnlyAttributes()
    {
        var user = Json("""{"id":"1","userName":"bob@x","active":true,"meta":{"version":"W/\"1\""}}""");
        var bumped = Json("""{"id":"2","userName":"bob@x","active":true,"meta":{"version":"W/\"9\""}}""");

        Assert.Empty(ResourceDiff.Compare(ScimRegistry.UserType, user, bumped));
    }

    [Fact]
    public void SecretsIn_Password_IsReportedAsChangedWithoutItsValue()
    {
        var body = Json("""{"userName":"c@x","password":"Hunter-2!"}""");

        var change = Assert.Single(ResourceDiff.SecretsIn(ScimRegistry.UserType, body));

        Assert.Equal(new AttributeChange("password", null, ResourceDiff.Redacted), change);
        Assert.Equal("password: changed", ResourceDiff.Describe(change));
        Assert.DoesNotContain(ResourceDiff.Compare(ScimRegistry.UserType, null, body), c => c.Attribute == "password");
    }

    [Fact]
    public void Created_NewResource_SummaryNamesTheSubjectAndTheAttributesSet()
    {
        var changes = ResourceDiff.Compare(ScimRegistry.UserType, null, Json("""{"userName":"d@x","active":true,"displayName":"Dee"}"""));

        Assert.Equal("created user d@x: set userName, active, displayName", ProvisioningStory.Created("user", "d@x", changes));
    }

    [Fact]
    public void Updated_WithMembers_ListsNamesAndCountsTheRest()
    {
        var members = new MembershipChange(["ann@x", "bob@x"], 36, ["carol@x"], 0);

        Assert.Equal(
            "updated group Engineers: displayName: Eng → Engineers; added ann@x, bob@x and 36 more; removed carol@x",
            ProvisioningStory.Updated("updated", "group", "Engineers", [new AttributeChange("displayName", "Eng", "Engineers")], members));
        Assert.Equal("updated user e@x: nothing changed", ProvisioningStory.Updated("updated", "user", "e@x", []));
    }
}
