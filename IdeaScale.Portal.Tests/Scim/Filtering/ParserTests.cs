using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Filtering;

namespace IdeaScale.Portal.Tests.Scim.Filtering;

public sealed class ParserTests
{
    private const string Enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    private const string CoreUser = "urn:ietf:params:scim:schemas:core:2.0:User";

    /// <summary>Filter text and the canonical rendering of its AST (every and/or parenthesised).</summary>
    public static TheoryData<string, string> Valid => new()
    {
        // Precedence: not > and > or; and/or left-associative; parentheses override.
        { "a pr or b pr and c pr", "(a pr or (b pr and c pr))" },
        { "a pr and b pr or c pr", "((a pr and b pr) or c pr)" },
        { "not (a pr) and b pr", "(not (a pr) and b pr)" },
        { "not (a pr and b pr) or c pr", "(not ((a pr and b pr)) or c pr)" },
        { "(a pr or b pr) and c pr", "((a pr or b pr) and c pr)" },
        { "a pr or b pr or c pr", "((a pr or b pr) or c pr)" },
        { "a pr and b pr and c pr", "((a pr and b pr) and c pr)" },
        { "a pr and (b pr or not (c pr))", "(a pr and (b pr or not (c pr)))" },
        { "((((a pr))))", "a pr" },
        { "not(a pr)", "not (a pr)" },

        // Every operator, case-insensitively.
        { "userName eq \"x\"", "userName eq \"x\"" },
        { "userName NE \"x\"", "userName ne \"x\"" },
        { "userName Co \"x\"", "userName co \"x\"" },
        { "userName sW \"x\"", "userName sw \"x\"" },
        { "userName EW \"x\"", "userName ew \"x\"" },
        { "meta.created gt \"2026-01-01T00:00:00Z\"", "meta.created gt \"2026-01-01T00:00:00Z\"" },
        { "meta.created GE \"2026-01-01T00:00:00Z\"", "meta.created ge \"2026-01-01T00:00:00Z\"" },
        { "meta.created lt \"2026-01-01T00:00:00Z\"", "meta.created lt \"2026-01-01T00:00:00Z\"" },
        { "meta.created le \"2026-01-01T00:00:00Z\"", "meta.created le \"2026-01-01T00:00:00Z\"" },
        { "title PR", "title pr" },
        { "a pr AND b pr OR c pr", "((a pr and b pr) or c pr)" },
        { "NOT (a pr)", "not (a pr)" },

        // Literal kinds.
        { "active eq true", "active eq true" },
        { "active eq FALSE", "active eq false" },
        { "title eq null", "title eq null" },
        { "n eq 42", "n eq 42" },
        { "n eq -1.5", "n eq -1.5" },
        { "n eq 1e3", "n eq 1000" },
        { "n eq 0", "n eq 0" },

        // Escapes (rendered back as JSON).
        { "title eq \"say \\\"hi\\\"\"", "title eq \"say \\\"hi\\\"\"" },
        { "title eq \"back\\\\slash\"", "title eq \"back\\\\slash\"" },
        { "title eq \"\\u00e9t\\u00E9\"", "title eq \"\u00e9t\u00e9\"" },
        { "title eq \"a\\/b\\tc\"", "title eq \"a/b\\tc\"" },
        { "title eq \"and or not ) ]\"", "title eq \"and or not ) ]\"" },

        // Paths: sub-attributes, URN-qualified, $ref.
        { "name.givenName eq \"Ann\"", "name.givenName eq \"Ann\"" },
        { Enterprise + ":manager.value eq \"m\"", Enterprise + ":manager.value eq \"m\"" },
        { Enterprise + ":department eq \"R&D\"", Enterprise + ":department eq \"R&D\"" },
        { "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:department pr", Enterprise + ":department pr" },
        { CoreUser + ":name.familyName pr", CoreUser + ":name.familyName pr" },
        { "urn:example:unknown:attr pr", "urn:example:unknown:attr pr" },
        { "manager.$ref pr", "manager.$ref pr" },

        // valuePath forms.
        { "emails[type eq \"work\"]", "emails[type eq \"work\"]" },
        { "emails[type eq \"work\" and value co \"@example.com\"]", "emails[(type eq \"work\" and value co \"@example.com\")]" },
        { "emails[ type eq \"work\" or not (primary eq true) ]", "emails[(type eq \"work\" or not (primary eq true))]" },
        { "emails[type eq \"work\"].value eq \"x\"", "emails[(type eq \"work\" and value eq \"x\")]" },
        { "emails[type eq \"work\"].value pr", "emails[(type eq \"work\" and value pr)]" },
        { "userName eq \"a\" and emails[type eq \"work\"] or active eq false", "((userName eq \"a\" and emails[type eq \"work\"]) or active eq false)" },
        { Enterprise + ":manager[value eq \"m\"]", Enterprise + ":manager[value eq \"m\"]" },

        // Whitespace tolerance; a word that is an operator elsewhere can be an attribute name.
        { "  userName   eq   \"x\"  ", "userName eq \"x\"" },
        { "not eq \"x\"", "not eq \"x\"" },
        { "and pr or or pr", "(and pr or or pr)" },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Parse_ValidFilter_BuildsExpectedTree(string filter, string expected) =>
        Assert.Equal(expected, FilterParser.Parse(filter).ToString());

    [Fact]
    public void Parse_Comparison_BuildsTypedNodes()
    {
        var node = FilterParser.Parse("emails[type eq \"work\"].value eq \"x@y\" and " + Enterprise + ":manager.value ne null");

        var and = Assert.IsType<AndNode>(node);
        Assert.Equal(
            new ValuePathNode(new AttrPath(null, "emails", null), new AndNode(
                new CompareNode(new AttrPath(null, "type", null), CompareOp.Eq, new StringLiteral("work")),
                new CompareNode(new AttrPath(null, "value", null), CompareOp.Eq, new StringLiteral("x@y")))),
            and.Left);
        Assert.Equal(new CompareNode(new AttrPath(Enterprise, "manager", "value"), CompareOp.Ne, NullLiteral.Instance), and.Right);
    }

    [Fact]
    public void Parse_LiteralKinds_AreTyped()
    {
        Assert.Equal(new NumberLiteral(-12.5m), Assert.IsType<CompareNode>(FilterParser.Parse("x gt -12.5")).Value);
        Assert.Equal(new BooleanLiteral(true), Assert.IsType<CompareNode>(FilterParser.Parse("x eq True")).Value);
        Assert.Equal(new StringLiteral("q\"\\\u00e9\n"), Assert.IsType<CompareNode>(FilterParser.Parse("x eq \"q\\\"\\\\\\u00e9\\n\"")).Value);
        Assert.IsType<NullLiteral>(Assert.IsType<CompareNode>(FilterParser.Parse("x eq NULL")).Value);
    }

    [Fact]
    public void AttrPath_ToString_IsAcceptedByRegistryResolve()
    {
        var node = Assert.IsType<CompareNode>(FilterParser.Parse(Enterprise + ".manager eq \"m\"")); // Entra's '.' after the URN
        Assert.Equal(new AttrPath(Enterprise, "manager", null), node.Path);
        var resolved = IdeaScale.Portal.Scim.Schema.ScimRegistry.UserType.Resolve(node.Path.ToString());
        Assert.Equal("manager", resolved?.Attribute?.Name);
    }

    /// <summary>Filter text, the 0-based position the error must report, and a fragment of the detail.</summary>
    public static TheoryData<string, int, string> Invalid => new()
    {
        { "userName eq \"abc", 12, "Unterminated string" },
        { "userName eq", 11, "end of the filter" },
        { "userName eq ", 12, "expected a value" },
        { "userName", 8, "end of the filter" },
        { "userName zz \"x\"", 9, "Unknown operator 'zz'" },
        { "userName eq \"x\" foo", 16, "Unexpected 'foo'" },
        { "userName eq \"x\")", 15, "Unexpected ')'" },
        { "(userName eq \"x\"", 16, "Missing ')'" },
        { "emails[type eq \"work\"", 21, "Missing ']'" },
        { "emails[type eq \"work\")", 21, "Expected ']'" },
        { "userName eq \"x\" and", 19, "Expected a filter after 'and'" },
        { "userName eq \"x\" or ", 19, "end of the filter" },
        { "userName eq x", 12, "Expected a value" },
        { "userName eq 'x'", 12, "Expected a value" },
        { "userName eq \"a\\qb\"", 14, "Invalid escape" },
        { "userName eq \"\\u12\"", 13, "\\u escape" },
        { "userName eq 01", 12, "Invalid number" },
        { "userName eq 1.", 14, "decimal point" },
        { "userName=\"x\"", 8, "Expected a space" },
        { "1abc eq \"x\"", 0, "attribute name" },
        { "", 0, "empty" },
        { "emails[value eq \"x\" and types[a pr]]", 29, "cannot contain another value filter" },
        { "name.givenName[value pr]", 14, "sub-attribute" },
        { "emails[type eq \"work\"].value", 28, "an operator" },
        { "not (a pr", 9, "Missing ')'" },
        { "()", 1, "attribute name" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Parse_InvalidFilter_ThrowsInvalidFilterWithPosition(string filter, int position, string fragment)
    {
        var ex = Assert.Throws<ScimException>(() => FilterParser.Parse(filter));

        Assert.Equal(400, ex.Status);
        Assert.Equal(ScimErrorType.InvalidFilter, ex.ScimType);
        Assert.Contains(fragment, ex.Detail, StringComparison.OrdinalIgnoreCase);
        if (filter.Length > 0)
        {
            Assert.Contains($"at position {position}.", ex.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Parse_HugeFilter_ThrowsInvalidFilter()
    {
        var filter = string.Join(" or ", Enumerable.Repeat("userName eq \"x\"", 100_000 / 19));
        Assert.True(filter.Length > 90_000);

        var ex = Assert.Throws<ScimException>(() => FilterParser.Parse(filter));
        Assert.Equal(ScimErrorType.InvalidFilter, ex.ScimType);
        Assert.Contains("at most 4096", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TenThousandNestedParentheses_ThrowsInvalidFilterNotStackOverflow()
    {
        var deep = new string('(', 10_000) + "a pr" + new string(')', 10_000);
        var notChain = string.Concat(Enumerable.Repeat("not (", 2000)) + "a pr" + new string(')', 2000);

        foreach (var filter in new[] { deep[..4000], notChain[..4096] })
        {
            var ex = Assert.Throws<ScimException>(() => FilterParser.Parse(filter));
            Assert.Equal(ScimErrorType.InvalidFilter, ex.ScimType);
            Assert.Contains($"more than {FilterParser.MaxDepth} levels", ex.Detail, StringComparison.Ordinal);
        }

        // The full 10k-deep input is refused too (by length first).
        Assert.Equal(ScimErrorType.InvalidFilter, Assert.Throws<ScimException>(() => FilterParser.Parse(deep)).ScimType);
    }

    [Fact]
    public void Parse_TooManyTerms_ThrowsInvalidFilter()
    {
        var filter = string.Join(" or ", Enumerable.Repeat("a pr", 510)); // 1019 nodes in under 4096 characters
        Assert.True(filter.Length <= FilterParser.MaxLength);

        var ex = Assert.Throws<ScimException>(() => FilterParser.Parse(filter));
        Assert.Contains($"more than {FilterParser.MaxNodes} terms", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MaximalAllowedNesting_Succeeds()
    {
        var filter = new string('(', FilterParser.MaxDepth) + "a pr" + new string(')', FilterParser.MaxDepth);
        Assert.Equal("a pr", FilterParser.Parse(filter).ToString());
    }

    public static TheoryData<string, string> PatchPaths => new()
    {
        { "userName", "userName" },
        { "name.givenName", "name.givenName" },
        { "members[value eq \"2819c223\"]", "members[value eq \"2819c223\"]" },
        { "emails[type eq \"work\"].value", "emails[type eq \"work\"].value" },
        { "emails[type eq \"work\" and primary eq true].display", "emails[(type eq \"work\" and primary eq true)].display" },
        { Enterprise + ":manager", Enterprise + ":manager" },
        { Enterprise + ".manager", Enterprise + ":manager" },
        { Enterprise + ":manager.value", Enterprise + ":manager.value" },
        { "phoneNumbers[type eq \"fax\"].value", "phoneNumbers[type eq \"fax\"].value" },
    };

    [Theory]
    [MemberData(nameof(PatchPaths))]
    public void ParsePatchPath_ValidPath_RoundTrips(string path, string expected) =>
        Assert.Equal(expected, FilterParser.ParsePatchPath(path).ToString());

    [Fact]
    public void ParsePatchPath_ValuePathWithSubAttribute_SplitsParts()
    {
        var path = FilterParser.ParsePatchPath("emails[type eq \"work\"].value");

        Assert.Equal(new AttrPath(null, "emails", null), path.Attribute);
        Assert.Equal(new CompareNode(new AttrPath(null, "type", null), CompareOp.Eq, new StringLiteral("work")), path.ValueFilter);
        Assert.Equal("value", path.SubAttribute);

        var plain = FilterParser.ParsePatchPath("name.givenName");
        Assert.Equal(new PatchPath(new AttrPath(null, "name", "givenName"), null, null), plain);
    }

    public static TheoryData<string, string> InvalidPatchPaths => new()
    {
        { "", "empty" },
        { "emails[type eq \"work\"", "Missing ']'" },
        { "emails[type eq \"work\"].", "attribute name" },
        { "name.givenName.x", "Unexpected '.x'" },
        { "members[value eq \"x\"] extra", "Unexpected 'extra'" },
        { "name.givenName[value pr]", "sub-attribute" },
        { "\"quoted\"", "attribute name" },
    };

    [Theory]
    [MemberData(nameof(InvalidPatchPaths))]
    public void ParsePatchPath_InvalidPath_ThrowsInvalidPath(string path, string fragment)
    {
        var ex = Assert.Throws<ScimException>(() => FilterParser.ParsePatchPath(path));

        Assert.Equal(ScimErrorType.InvalidPath, ex.ScimType);
        Assert.Contains(fragment, ex.Detail, StringComparison.OrdinalIgnoreCase);
    }
}
