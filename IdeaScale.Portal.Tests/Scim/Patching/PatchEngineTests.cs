using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Patching;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Tests.Scim.Patching;

/// <summary>The op × path-shape matrix, on the canonical representation (no database).</summary>
public sealed class PatchEngineTests
{
    private const string Enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    private const string Id = "7d3c0c55-1b7e-4a55-9b0e-0d6b0c2a7f10";

    private static JsonObject User() => JsonNode.Parse("""
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"@ID","userName":"ann@x","active":true,
         "name":{"givenName":"Ann","familyName":"Lee"},
         "emails":[{"type":"work","value":"ann@work","primary":true},{"type":"home","value":"ann@home"}],
         "@ENT":{"department":"R&D","manager":{"value":"m1"}}}
        """.Replace("@ID", Id, StringComparison.Ordinal).Replace("@ENT", Enterprise, StringComparison.Ordinal))!.AsObject();

    private static JsonObject Apply(JsonObject resource, string operations, ScimResourceType? type = null)
    {
        new PatchEngine(type ?? ScimRegistry.UserType).Apply(resource, resource["id"]!.GetValue<string>(), Ops(operations));
        return resource;
    }

    private static PatchOutcome Outcome(JsonObject resource, string operations, ScimResourceType? type = null) =>
        new PatchEngine(type ?? ScimRegistry.UserType).Apply(resource, resource["id"]!.GetValue<string>(), Ops(operations));

    private static List<PatchOperation> Ops(string operations) =>
        System.Text.Json.JsonSerializer.Deserialize<List<PatchOperation>>(operations, ScimJson.Options)!;

    private static ScimException Fails(JsonObject resource, string operations, ScimResourceType? type = null) =>
        Assert.Throws<ScimException>(() => Apply(resource, operations, type));

    // --- attribute path
    [Fact]
    public void Add_Attribute_SetsValue() => Assert.Equal("Boss", Apply(User(), """[{"op":"add","path":"title","value":"Boss"}]""")["title"]!.GetValue<string>());

    [Fact]
    public void Replace_Attribute_SetsValue() => Assert.Equal("bob@x", Apply(User(), """[{"op":"replace","path":"userName","value":"bob@x"}]""")["userName"]!.GetValue<string>());

    [Fact]
    public void Remove_Attribute_Unassigns() => Assert.False(Apply(User(), """[{"op":"remove","path":"name"}]""").ContainsKey("name"));

    [Fact]
    public void Add_MultiValuedAttribute_AppendsAndPrimaryMovesToNewValue()
    {
        var emails = Apply(User(), """[{"op":"add","path":"emails","value":[{"type":"other","value":"ann@other","primary":true}]}]""")["emails"]!.AsArray();
        Assert.Equal(3, emails.Count);
        Assert.Single(emails, e => e!["primary"]?.GetValue<bool>() == true);
        Assert.True(emails[2]!["primary"]!.GetValue<bool>());
    }

    [Fact]
    public void Replace_MultiValuedAttribute_ReplacesAll() =>
        Assert.Single(Apply(User(), """[{"op":"replace","path":"emails","value":[{"value":"only@x"}]}]""")["emails"]!.AsArray());

    [Fact]
    public void Replace_ComplexAttribute_MergesSubAttributes()
    {
        var name = Apply(User(), """[{"op":"replace","path":"name","value":{"givenName":"Anna"}}]""")["name"]!;
        Assert.Equal("Anna", name["givenName"]!.GetValue<string>());
        Assert.Equal("Lee", name["familyName"]!.GetValue<string>());
    }

    // --- sub-attribute path
    [Fact]
    public void Add_SubAttribute_SetsIt() => Assert.Equal("Q", Apply(User(), """[{"op":"add","path":"name.middleName","value":"Q"}]""")["name"]!["middleName"]!.GetValue<string>());

    [Fact]
    public void Replace_SubAttribute_CaseInsensitiveNames() =>
        Assert.Equal("Anna", Apply(User(), """[{"op":"Replace","path":"NAME.GIVENNAME","value":"Anna"}]""")["name"]!["givenName"]!.GetValue<string>());

    [Fact]
    public void Remove_SubAttribute_LeavesSiblings()
    {
        var name = Apply(User(), """[{"op":"remove","path":"name.givenName"}]""")["name"]!.AsObject();
        Assert.False(name.ContainsKey("givenName"));
        Assert.Equal("Lee", name["familyName"]!.GetValue<string>());
    }

    // --- valuePath filter
    [Fact]
    public void Replace_ValuePath_MergesIntoMatchingValueOnly()
    {
        var emails = Apply(User(), """[{"op":"replace","path":"emails[type eq \"home\"]","value":{"value":"new@home"}}]""")["emails"]!.AsArray();
        Assert.Equal("ann@work", emails[0]!["value"]!.GetValue<string>());
        Assert.Equal("new@home", emails[1]!["value"]!.GetValue<string>());
    }

    [Fact]
    public void Remove_ValuePath_RemovesMatchingValues()
    {
        var emails = Apply(User(), """[{"op":"remove","path":"emails[type eq \"work\"]"}]""")["emails"]!.AsArray();
        Assert.Equal("ann@home", Assert.Single(emails)!["value"]!.GetValue<string>());
    }

    [Fact]
    public void Replace_ValuePathNoMatchNoEquality_Returns400NoTarget() =>
        Assert.Equal("noTarget", Fails(User(), """[{"op":"replace","path":"emails[value co \"zzz\"]","value":{"display":"x"}}]""").ScimType);

    // --- valuePath + sub-attribute
    [Fact]
    public void Add_ValuePathSubAttributeExisting_ReplacesTheWorkEmail()
    {
        var emails = Apply(User(), """[{"op":"Add","path":"emails[type eq \"work\"].value","value":"changed@work"}]""")["emails"]!.AsArray();
        Assert.Equal(2, emails.Count);
        Assert.Equal("changed@work", emails[0]!["value"]!.GetValue<string>());
    }

    [Fact]
    public void Add_ValuePathSubAttributeNoMatch_CreatesValueFromFilter()
    {
        var phones = Apply(User(), """[{"op":"Add","path":"phoneNumbers[type eq \"fax\"].value","value":"+1 555"}]""")["phoneNumbers"]!.AsArray();
        var fax = Assert.Single(phones)!;
        Assert.Equal("fax", fax["type"]!.GetValue<string>());
        Assert.Equal("+1 555", fax["value"]!.GetValue<string>());
    }

    [Fact]
    public void Remove_ValuePathSubAttribute_RemovesOnlyThatSubAttribute()
    {
        var emails = Apply(User(), """[{"op":"remove","path":"emails[type eq \"work\"].primary"}]""")["emails"]!.AsArray();
        Assert.Equal(2, emails.Count);
        Assert.False(emails[0]!.AsObject().ContainsKey("primary"));
    }

    // --- URN-qualified
    [Fact]
    public void Replace_UrnQualified_SetsExtensionAttribute() =>
        Assert.Equal("Sales", Apply(User(), $$"""[{"op":"Replace","path":"{{Enterprise}}:department","value":"Sales"}]""")[Enterprise]!["department"]!.GetValue<string>());

    [Fact]
    public void Add_ManagerAsBareString_StoresValueObject() =>
        Assert.Equal("m2", Apply(User(), $$"""[{"op":"Add","path":"{{Enterprise}}:manager","value":"m2"}]""")[Enterprise]!["manager"]!["value"]!.GetValue<string>());

    [Fact]
    public void Replace_ManagerAsArrayWithDottedPath_StoresValueObject() =>
        Assert.Equal("m3", Apply(User(), $$"""[{"op":"replace","path":"{{Enterprise}}.manager","value":[{"$ref":null,"value":"m3"}]}]""")[Enterprise]!["manager"]!["value"]!.GetValue<string>());

    [Fact]
    public void Remove_Manager_ClearsIt() =>
        Assert.False(Apply(User(), $$"""[{"op":"Remove","path":"{{Enterprise}}:manager"}]""")[Enterprise]!.AsObject().ContainsKey("manager"));

    [Fact]
    public void Remove_LastExtensionAttribute_DropsExtensionObject() =>
        Assert.False(Apply(User(), $$"""[{"op":"remove","path":"{{Enterprise}}:manager"},{"op":"remove","path":"{{Enterprise}}:department"}]""").ContainsKey(Enterprise));

    // --- no path
    [Fact]
    public void Replace_NoPathWithPathKeys_StoresAsAttributes()
    {
        var user = Apply(User(), """[{"op":"replace","value":{"name.givenName":"Bea","@ENT:employeeNumber":"42","active":false,"@ENT":{"costCenter":"CC"}}}]""".Replace("@ENT", Enterprise, StringComparison.Ordinal));
        Assert.Equal("Bea", user["name"]!["givenName"]!.GetValue<string>());
        Assert.Equal("42", user[Enterprise]!["employeeNumber"]!.GetValue<string>());
        Assert.Equal("CC", user[Enterprise]!["costCenter"]!.GetValue<string>());
        Assert.False(user["active"]!.GetValue<bool>());
        Assert.False(user.ContainsKey("name.givenName"));
    }

    [Fact]
    public void Add_NoPathObject_AddsAttributes() =>
        Assert.Equal("Mr", Apply(User(), """[{"op":"add","value":{"name":{"honorificPrefix":"Mr"},"nickName":"A"}}]""")["name"]!["honorificPrefix"]!.GetValue<string>());

    [Fact]
    public void Remove_NoPath_Returns400NoTarget() => Assert.Equal("noTarget", Fails(User(), """[{"op":"remove"}]""").ScimType);

    [Fact]
    public void Replace_NoPathWithOwnId_IgnoresId() =>
        Assert.Equal(Id, Apply(User(), """[{"op":"replace","value":{"id":"@ID","displayName":"New"}}]""".Replace("@ID", Id, StringComparison.Ordinal))["id"]!.GetValue<string>());

    [Fact]
    public void Replace_NoPathWithOtherId_Returns400Mutability() =>
        Assert.Equal("mutability", Fails(User(), """[{"op":"replace","value":{"id":"other","displayName":"New"}}]""").ScimType);

    // --- errors and quirks
    [Theory]
    [InlineData("""[{"op":"replace","path":"id","value":"x"}]""", "mutability")]
    [InlineData("""[{"op":"replace","path":"meta.created","value":"2020-01-01T00:00:00Z"}]""", "mutability")]
    [InlineData("""[{"op":"add","path":"groups","value":[{"value":"g"}]}]""", "mutability")]
    [InlineData("""[{"op":"add","path":"nope","value":"x"}]""", "invalidPath")]
    [InlineData("""[{"op":"add","path":"emails[type eq","value":"x"}]""", "invalidPath")]
    [InlineData("""[{"op":"add","path":"name.nope","value":"x"}]""", "invalidPath")]
    [InlineData("""[{"op":"frobnicate","path":"title","value":"x"}]""", "invalidSyntax")]
    [InlineData("""[{"op":"replace","path":"active","value":"maybe"}]""", "invalidValue")]
    [InlineData("""[{"op":"replace","path":"title","value":{"a":1}}]""", "invalidValue")]
    [InlineData("""[{"op":"replace","path":"emails[type eq \"work\"].value","value":5}]""", "invalidValue")]
    [InlineData("""[]""", "invalidSyntax")]
    public void Apply_BadOperation_ThrowsTypedError(string operations, string scimType) => Assert.Equal(scimType, Fails(User(), operations).ScimType);

    [Theory]
    [InlineData("\"False\"", false)]
    [InlineData("\"True\"", true)]
    [InlineData("false", false)]
    public void Replace_Active_AcceptsEntraStringBooleans(string value, bool expected) =>
        Assert.Equal(expected, Apply(User(), """[{"op":"Replace","path":"active","value":""" + value + "}]")["active"]!.GetValue<bool>());

    [Fact]
    public void Apply_LaterOperationFails_ThrowsSoCallerSavesNothing()
    {
        // The engine works on a representation; the endpoints save only after every operation applied.
        var user = User();
        Assert.Throws<ScimException>(() => Apply(user, """[{"op":"replace","path":"title","value":"T"},{"op":"replace","path":"id","value":"x"}]"""));
    }

    // --- groups
    private static JsonObject Group() => JsonNode.Parse("""{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"G"}""")!.AsObject();

    [Theory]
    [InlineData("""[{"op":"add","path":"members","value":[{"value":"a"},{"value":"b"}]}]""", MemberDeltaKind.Add, "a,b")]
    [InlineData("""[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"a"}]}]""", MemberDeltaKind.Remove, "a")]
    [InlineData("""[{"op":"remove","path":"members[value eq \"a\" or value eq \"b\"]"}]""", MemberDeltaKind.Remove, "a,b")]
    [InlineData("""[{"op":"remove","path":"members"}]""", MemberDeltaKind.RemoveAll, "")]
    [InlineData("""[{"op":"replace","path":"members","value":[{"value":"c"}]}]""", MemberDeltaKind.Replace, "c")]
    [InlineData("""[{"op":"add","value":{"members":[{"value":"d"}]}}]""", MemberDeltaKind.Add, "d")]
    public void Members_AnyPathShape_BecomesSetDelta(string operations, MemberDeltaKind kind, string ids)
    {
        var group = Group();
        var delta = Assert.Single(Outcome(group, operations, ScimRegistry.GroupType).MemberDeltas);
        Assert.Equal(kind, delta.Kind);
        Assert.Equal(ids, string.Join(",", delta.Ids));
        Assert.False(group.ContainsKey("members"));
    }

    [Fact]
    public void Members_UnsupportedFilter_Returns400InvalidPath() =>
        Assert.Equal("invalidPath", Fails(Group(), """[{"op":"remove","path":"members[display co \"x\"]"}]""", ScimRegistry.GroupType).ScimType);

    [Fact]
    public void Replace_GroupDisplayNameNoPathWithOwnId_Renames()
    {
        var group = Apply(Group(), """[{"op":"replace","value":{"id":"g1","displayName":"New"}}]""", ScimRegistry.GroupType);
        Assert.Equal("New", group["displayName"]!.GetValue<string>());
    }
}
