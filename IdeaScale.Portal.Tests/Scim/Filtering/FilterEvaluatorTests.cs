using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Filtering;
using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Tests.Scim.Filtering;

public sealed class FilterEvaluatorTests
{
    private static readonly ScimAttribute Emails = ScimRegistry.User.Attribute("emails")!;
    private static readonly ScimAttribute Members = ScimRegistry.Group.Attribute("members")!;

    private static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();

    /// <summary>valuePath filter (as in a PATCH path), one email value, expected match.</summary>
    public static TheoryData<string, string, bool> EmailCases => new()
    {
        { "type eq \"work\"", """{"type":"work","value":"a@x.com"}""", true },
        { "type eq \"WORK\"", """{"type":"work","value":"a@x.com"}""", true }, // emails.type is not caseExact
        { "type eq \"home\"", """{"type":"work","value":"a@x.com"}""", false },
        { "TYPE eq \"work\"", """{"Type":"work"}""", true }, // attribute names are case-insensitive
        { "value eq \"A@X.COM\"", """{"value":"a@x.com"}""", true },
        { "value co \"@X\"", """{"value":"a@x.com"}""", true },
        { "value sw \"a@\"", """{"value":"a@x.com"}""", true },
        { "value ew \".org\"", """{"value":"a@x.com"}""", false },
        { "value co \"%\"", """{"value":"a@x.com"}""", false },
        { "value gt \"A\"", """{"value":"b@x.com"}""", true },
        { "value le \"a\"", """{"value":"b@x.com"}""", false },
        { "value pr", """{"value":""}""", false },
        { "value pr", """{"value":"a"}""", true },
        { "display pr", """{"value":"a"}""", false },
        { "display eq null", """{"value":"a"}""", true },
        { "value ne null", """{"value":"a"}""", true },
        { "display ne \"x\"", """{"value":"a"}""", true },
        { "primary eq true", """{"primary":true}""", true },
        { "primary eq true", """{"primary":"True"}""", true }, // Entra sends booleans as strings
        { "primary eq true", """{"primary":false}""", false },
        { "primary ne true", """{"primary":false}""", true },
        { "type eq \"work\" and value co \"@x.com\"", """{"type":"work","value":"a@x.com"}""", true },
        { "type eq \"work\" and value co \"@y.com\"", """{"type":"work","value":"a@x.com"}""", false },
        { "type eq \"home\" or value co \"@x.com\"", """{"type":"work","value":"a@x.com"}""", true },
        { "not (type eq \"work\")", """{"type":"work"}""", false },
        { "not (type eq \"work\")", """{"type":"home"}""", true },
    };

    [Theory]
    [MemberData(nameof(EmailCases))]
    public void Matches_EmailValue_FollowsTypeAndCaseRules(string filter, string element, bool expected) =>
        Assert.Equal(expected, FilterEvaluator.Matches(FilterParser.Parse(filter), Json(element), Emails));

    [Fact]
    public void Matches_MemberValue_IsCaseExact()
    {
        var filter = FilterParser.ParsePatchPath("members[value eq \"2819c223-7f76-453a-919d-413861904646\"]").ValueFilter!;

        Assert.True(FilterEvaluator.Matches(filter, Json("""{"value":"2819c223-7f76-453a-919d-413861904646"}"""), Members));
        Assert.False(FilterEvaluator.Matches(filter, Json("""{"value":"2819C223-7F76-453A-919D-413861904646"}"""), Members));
    }

    [Fact]
    public void Matches_EntraPatchPath_SelectsTheWorkEmail()
    {
        var path = FilterParser.ParsePatchPath("emails[type eq \"work\"].value");
        var values = new[] { Json("""{"type":"home","value":"h@x"}"""), Json("""{"type":"work","value":"w@x"}""") };

        Assert.Equal(["w@x"], values.Where(v => FilterEvaluator.Matches(path.ValueFilter!, v, Emails)).Select(v => (string)v["value"]!));
    }

    [Theory]
    [InlineData("nope eq \"x\"", "not a sub-attribute")]
    [InlineData("primary gt true", "'gt'")]
    [InlineData("value eq 5", "string")]
    [InlineData("primary eq \"true\"", "true or false")]
    [InlineData("emails.value eq \"x\"", "name a sub-attribute")]
    [InlineData("value gt null", "null")]
    [InlineData("type eq \"work\" or bogus pr", "not a sub-attribute")]
    public void Matches_InvalidFilter_ThrowsInvalidFilter(string filter, string fragment)
    {
        var ex = Assert.Throws<ScimException>(() => FilterEvaluator.Matches(FilterParser.Parse(filter), Json("""{"type":"work"}"""), Emails));

        Assert.Equal(ScimErrorType.InvalidFilter, ex.ScimType);
        Assert.Contains(fragment, ex.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Matches_NestedValuePath_ThrowsInvalidFilter()
    {
        var nested = new ValuePathNode(new AttrPath(null, "emails", null), new PresentNode(new AttrPath(null, "value", null)));

        Assert.Equal(ScimErrorType.InvalidFilter, Assert.Throws<ScimException>(() => FilterEvaluator.Matches(nested, Json("{}"), Emails)).ScimType);
    }
}
