using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Filtering;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Tests.Scim.Filtering;

public sealed class TranslatorTests(FilterDatabase data) : IClassFixture<FilterDatabase>
{
    private const string Enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    /// <summary>Runs a user filter in workspace A; asserts it translates to SQL and returns the matching keys.</summary>
    private async Task<string[]> Users(string filter)
    {
        await using var db = data.CreateContext();
        var query = db.Members.Where(m => m.WorkspaceId == data.WorkspaceA).Where(FilterTranslator.ForUsers(FilterParser.Parse(filter), db));
        Assert.Contains("WHERE", query.ToQueryString(), StringComparison.Ordinal); // throws if EF would evaluate on the client
        var ids = await query.Select(m => m.Id).ToListAsync();
        return [.. data.Ids.Where(kv => ids.Contains(kv.Value)).Select(kv => kv.Key).Order(StringComparer.Ordinal)];
    }

    private async Task<string[]> Groups(string filter)
    {
        await using var db = data.CreateContext();
        var query = db.Groups.Where(g => g.WorkspaceId == data.WorkspaceA).Where(FilterTranslator.ForGroups(FilterParser.Parse(filter), db));
        Assert.Contains("WHERE", query.ToQueryString(), StringComparison.Ordinal);
        var ids = await query.Select(g => g.Id).ToListAsync();
        return [.. data.Ids.Where(kv => ids.Contains(kv.Value)).Select(kv => kv.Key).Order(StringComparer.Ordinal)];
    }

    private string Id(string key) => data.Ids[key].ToString();

    public static TheoryData<string, string[]> UserCases => new()
    {
        // userName: case-insensitive, through the normalised column (Unicode folding too).
        { "userName eq \"ALICE@EXAMPLE.COM\"", ["alice"] },
        { "USERNAME EQ \"bob@example.com\"", ["bob"] },
        { "userName eq \"däve\"", ["dave"] },
        { "userName ne \"carol\"", ["alice", "bob", "dave"] },
        { "userName sw \"B\"", ["bob"] },
        { "userName ew \"EXAMPLE.COM\"", ["alice", "bob"] },
        { "userName co \"OL\"", ["carol"] },
        { "userName gt \"c\"", ["carol", "dave"] },
        { "userName ge \"CAROL\"", ["carol", "dave"] },
        { "userName lt \"bob@example.com\"", ["alice"] },
        { "userName le \"bob@example.com\"", ["alice", "bob"] },

        // externalId is caseExact.
        { "externalId eq \"ext-Alice\"", ["alice"] },
        { "externalId eq \"EXT-ALICE\"", [] },
        { "externalId sw \"EXT\"", [] },
        { "externalId sw \"ext\"", ["alice", "bob"] },
        { "externalId co \"A\"", ["alice"] },
        { "externalId ew \"bob\"", ["bob"] },

        // displayName is case-insensitive without a normalised column: folded in SQL.
        { "displayName eq \"ALICE SMITH\"", ["alice"] },
        { "displayName sw \"ali\"", ["alice"] },
        { "displayName ew \"JONES\"", ["bob"] },
        { "displayName eq \"Däve\"", ["dave"] },
        // Folding is ASCII-only on both providers (SQLite's upper(); PostgreSQL's under the "C" collation): A-Z fold, ä does not.
        { "displayName eq \"dÄve\"", [] },
        { "displayName eq \"DäVE\"", ["dave"] },

        // LIKE wildcards are ordinary characters.
        { "displayName co \"%\"", ["bob"] },
        { "emails co \"_\"", ["bob"] },
        { "displayName sw \"%\"", [] },
        { "displayName ew \"_\"", [] },
        { "displayName co \"0% J\"", ["bob"] },

        // pr / null.
        { "title pr", ["alice"] },
        { "not (title pr)", ["bob", "carol", "dave"] },
        { "title eq null", ["bob", "carol", "dave"] },
        { "title ne null", ["alice"] },
        { "externalId pr", ["alice", "bob"] },
        { "emails pr", ["alice", "bob", "carol"] },
        { "phoneNumbers pr", ["alice", "bob"] },
        { "addresses pr", ["alice"] },
        { "name pr", ["alice"] },
        { "name.givenName pr", ["alice"] },
        { "manager pr", ["bob", "carol"] },
        { "groups pr", ["alice", "bob"] },
        { "active pr", ["alice", "bob", "carol", "dave"] },

        // ne is the negation of eq (an unassigned value is "not equal").
        { "title ne \"Engineer\"", ["bob", "carol", "dave"] },

        // Booleans.
        { "active eq false", ["bob"] },
        { "active eq true", ["alice", "carol", "dave"] },
        { "active ne true", ["bob"] },

        // Sub-attributes and URN paths.
        { "name.givenName eq \"alice\"", ["alice"] },
        { "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq \"SMITH\"", ["alice"] },
        { Enterprise + ":department eq \"sales\"", ["bob"] },
        { Enterprise + ":department co \"&\"", ["alice"] },
        { "department eq \"SALES\"", ["bob"] }, // Entra: extension attribute without its URN

        // Multi-valued attributes: eq on the attribute compares value; one value must satisfy the whole valuePath.
        { "emails eq \"ALICE@example.com\"", ["alice"] },
        { "emails.value eq \"carol@home.test\"", ["carol"] },
        { "emails.type eq \"home\"", ["alice", "carol"] },
        { "emails[type eq \"work\"]", ["alice", "bob"] },
        { "emails[type eq \"work\" and value co \"@example.com\"]", ["alice", "bob"] },
        { "emails[type eq \"home\" and value co \"@example.com\"]", [] },
        { "emails[type eq \"work\"].value eq \"BOB_WORK@example.com\"", ["bob"] },
        { "emails[type eq \"home\"].value eq \"alice@example.com\"", [] },
        { "emails[primary eq true]", ["alice"] },
        { "emails[not (type eq \"work\")]", ["alice", "carol"] },
        { "phoneNumbers eq \"alice@example.com\"", ["bob"] },
        { "addresses.locality eq \"berlin\"", ["alice"] },
        { "addresses[country eq \"DE\" and primary eq true]", ["alice"] },
    };

    [Theory]
    [MemberData(nameof(UserCases))]
    public async Task ForUsers_Filter_ReturnsExactRows(string filter, string[] expected) =>
        Assert.Equal(expected, await Users(filter));

    [Fact]
    public async Task ForUsers_ManagerForms_MatchManagerId()
    {
        Assert.Equal(["bob", "carol"], await Users($"manager eq \"{Id("alice")}\""));
        Assert.Equal(["bob", "carol"], await Users($"manager.value eq \"{Id("alice")}\""));
        Assert.Equal(["bob", "carol"], await Users($"{Enterprise}:manager.value eq \"{Id("alice")}\""));
        Assert.Equal(["bob", "carol"], await Users($"{Enterprise}:manager eq \"{Id("alice").ToUpperInvariant()}\""));
        Assert.Equal(["alice", "dave"], await Users($"manager ne \"{Id("alice")}\""));
        Assert.Empty(await Users("manager eq \"not-a-guid\""));
    }

    [Fact]
    public async Task ForUsers_EntraIdAndManagerProbe_ReturnsOnlyThatUser()
    {
        Assert.Equal(["bob"], await Users($"id eq \"{Id("bob")}\" and manager eq \"{Id("alice")}\""));
        Assert.Empty(await Users($"id eq \"{Id("alice")}\" and manager eq \"{Id("alice")}\""));
    }

    [Fact]
    public async Task ForUsers_Id_MatchesGuidAndNonGuidMatchesNothing()
    {
        Assert.Equal(["carol"], await Users($"id eq \"{Id("carol")}\""));
        Assert.Empty(await Users("id eq \"00919288221112222\""));
        Assert.Equal(["alice", "bob", "carol", "dave"], await Users("id ne \"00919288221112222\""));
        Assert.Empty(await Users($"id eq \"{Id("alice-b")}\"")); // the other workspace's user stays invisible
    }

    [Fact]
    public async Task ForUsers_Groups_UsesMembershipRows()
    {
        Assert.Equal(["alice", "bob"], await Users($"groups eq \"{Id("Engineering")}\""));
        Assert.Equal(["bob"], await Users($"groups.value eq \"{Id("Sales")}\""));
        Assert.Equal(["bob"], await Users($"groups[value eq \"{Id("Sales")}\"]"));
        Assert.Empty(await Users($"groups eq \"{Id("Empty_Group")}\""));
    }

    [Fact]
    public async Task ForUsers_MetaDateTimes_CompareAsInstants()
    {
        // alice T0, bob T0+1h, carol T0+2h, dave T0+3h.
        Assert.Equal(["carol", "dave"], await Users("meta.created gt \"2026-03-01T10:30:00Z\""));
        Assert.Equal(["bob", "carol", "dave"], await Users("meta.created ge \"2026-03-01T10:00:00Z\""));
        Assert.Equal(["alice"], await Users("meta.created lt \"2026-03-01T10:00:00Z\""));
        Assert.Equal(["alice", "bob"], await Users("meta.created le \"2026-03-01T10:00:00.000Z\""));
        Assert.Equal(["bob"], await Users("meta.created eq \"2026-03-01T12:00:00+02:00\""));
        Assert.Equal(["carol", "dave"], await Users("meta.lastModified gt \"2026-03-01T10:59:59.9999999Z\""));
        Assert.Equal(["alice", "bob", "carol", "dave"], await Users("meta.created pr"));
    }

    [Fact]
    public async Task ForUsers_Precedence_AndBindsTighterThanOr()
    {
        Assert.Equal(["carol"], await Users("userName eq \"carol\" or userName eq \"alice@example.com\" and active eq false"));
        Assert.Equal(["carol"], await Users("(userName eq \"carol\" or userName eq \"alice@example.com\") and active eq true and title eq null"));
        Assert.Equal(["bob", "dave"], await Users("not (emails[type eq \"home\"]) and not (userName eq \"alice@example.com\")"));
    }

    [Fact]
    public async Task ForUsers_ContainsWithPercent_TranslatesWithoutLike()
    {
        await using var db = data.CreateContext();
        var sql = db.Members.Where(FilterTranslator.ForUsers(FilterParser.Parse("displayName co \"%\" or emails sw \"_\" or title ew \"x\""), db)).ToQueryString();

        var statement = sql[sql.IndexOf("SELECT", StringComparison.Ordinal)..]; // after the ".param set" preamble
        Assert.DoesNotContain("LIKE", statement, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("%", statement, StringComparison.Ordinal); // the literal is a parameter, not inlined
    }

    [Fact]
    public async Task ForUsers_UserNameEq_UsesNormalizedColumnParameter()
    {
        await using var db = data.CreateContext();
        var sql = db.Members.Where(FilterTranslator.ForUsers(FilterParser.Parse("userName eq \"Ann\""), db)).ToQueryString();

        Assert.Contains("\"NormalizedUserName\" = @", sql, StringComparison.Ordinal);
        Assert.Contains("'ANN'", sql, StringComparison.Ordinal); // the parameter's value, shown in the preamble
    }

    public static TheoryData<string, string> InvalidUserFilters => new()
    {
        { "nickname2 eq \"x\"", "unknown attribute" },
        { "urn:example:unknown:2.0:User:department eq \"x\"", "unknown attribute" },
        { "emails.nope eq \"x\"", "unknown attribute" },
        { "active gt true", "'gt'" },
        { "active co \"t\"", "'co'" },
        { "active eq \"true\"", "true or false" },
        { "userName eq 5", "string" },
        { "userName eq true", "string" },
        { "meta.created gt \"not a date\"", "dateTime" },
        { "meta.created gt 5", "dateTime" },
        { "meta.created co \"2026\"", "'co'" },
        { "userName gt null", "null" },
        { "password eq \"secret\"", "cannot be used in a filter" },
        { "manager.displayName eq \"Alice\"", "cannot be used in a filter" },
        { "meta.location pr", "cannot be used in a filter" },
        { "name eq \"x\"", "complex" },
        { "addresses eq \"x\"", "complex" },
        { "emails[foo eq \"x\"]", "not a sub-attribute" },
        { "emails[value.x eq \"x\"]", "name a sub-attribute" },
        { "userName[value eq \"x\"]", "complex attribute" },
        { "id co \"1\"", "ids" },
        { "x509Certificates.value gt \"a\"", "'gt'" },
        { "members eq \"x\"", "unknown attribute" },
    };

    [Theory]
    [MemberData(nameof(InvalidUserFilters))]
    public async Task ForUsers_InvalidFilter_ThrowsInvalidFilter(string filter, string fragment)
    {
        await using var db = data.CreateContext();
        var node = FilterParser.Parse(filter);

        var ex = Assert.Throws<ScimException>(() => FilterTranslator.ForUsers(node, db));
        Assert.Equal(ScimErrorType.InvalidFilter, ex.ScimType);
        Assert.Contains(fragment, ex.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ForUsers_LargestAllowedFilter_TranslatesAndRuns()
    {
        // 221 comparisons joined by or: close to the length and node caps, and a deep left-leaning tree.
        var filter = string.Join(" or ", Enumerable.Range(0, 220).Select(i => $"title eq \"{i}\"").Append("userName eq \"carol\""));
        Assert.True(filter.Length <= FilterParser.MaxLength);

        Assert.Equal(["carol"], await Users(filter));
    }

    [Fact]
    public async Task ForUsers_InvalidClauseInsideOr_FailsInsteadOfDropping()
    {
        await using var db = data.CreateContext();

        Assert.Throws<ScimException>(() => FilterTranslator.ForUsers(FilterParser.Parse("userName eq \"carol\" or bogus eq \"x\""), db));
        Assert.Throws<ScimException>(() => FilterTranslator.ForUsers(FilterParser.Parse("not (active gt true) and userName pr"), db));
    }

    [Fact]
    public async Task ForGroups_DisplayNameAndMembers_ReturnExactRows()
    {
        Assert.Equal(["Engineering"], await Groups("displayName eq \"ENGINEERING\""));
        Assert.Equal(["Empty_Group"], await Groups("displayName co \"_\""));
        Assert.Equal(["Engineering", "Sales"], await Groups($"members eq \"{Id("bob")}\""));
        Assert.Equal(["Engineering"], await Groups($"members.value eq \"{Id("alice")}\""));
        Assert.Equal(["Sales"], await Groups($"members[value eq \"{Id("Engineering")}\"]"));
        Assert.Equal(["Engineering"], await Groups($"id eq \"{Id("Engineering")}\" and members eq \"{Id("alice")}\""));
        Assert.Empty(await Groups($"id eq \"{Id("Sales")}\" and members eq \"{Id("alice")}\""));
        Assert.Equal(["Engineering", "Sales"], await Groups("members pr"));
        Assert.Equal(["Empty_Group"], await Groups("not (members pr)"));
        Assert.Equal(["Engineering"], await Groups("externalId eq \"g-eng\""));
        Assert.Empty(await Groups("displayName eq \"6d8f7e2a-1b3c-4d5e-9f00-aabbccddeeff\"")); // Entra's connection probe
    }

    [Theory]
    [InlineData("userName eq \"x\"")]
    [InlineData("members.display eq \"x\"")]
    [InlineData("members gt \"x\"")]
    [InlineData("displayName eq 1")]
    [InlineData("groups eq \"x\"")]
    public async Task ForGroups_InvalidFilter_ThrowsInvalidFilter(string filter)
    {
        await using var db = data.CreateContext();

        var ex = Assert.Throws<ScimException>(() => FilterTranslator.ForGroups(FilterParser.Parse(filter), db));
        Assert.Equal(ScimErrorType.InvalidFilter, ex.ScimType);
    }
}
