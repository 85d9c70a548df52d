using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Filtering;
using IdeaScale.Portal.Scim.Schema;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Tests.Scim.Filtering;

public sealed class SortTranslatorTests(FilterDatabase data) : IClassFixture<FilterDatabase>
{
    private async Task<string[]> Sorted(string? sortBy, string? sortOrder)
    {
        await using var db = data.CreateContext();
        var query = SortTranslator.Apply(db.Members.Where(m => m.WorkspaceId == data.WorkspaceA), ScimRegistry.UserType, sortBy, sortOrder);
        Assert.Contains("ORDER BY", query.ToQueryString(), StringComparison.Ordinal);
        var ids = await query.Select(m => m.Id).ToListAsync();
        var names = data.Ids.ToDictionary(kv => kv.Value, kv => kv.Key);
        return [.. ids.Select(id => names[id])];
    }

    [Trait("Provider", "Sqlite")] // asserts SQLite's own query plan or SQL text
    [Fact]
    public async Task Apply_NoSortBy_OrdersByCreatedThenId()
    {
        Assert.Equal(["alice", "bob", "carol", "dave"], await Sorted(null, null));

        await using var db = data.CreateContext();
        var sql = SortTranslator.Apply(db.Members, ScimRegistry.UserType, null, null).ToQueryString();
        Assert.EndsWith("ORDER BY \"m\".\"Created\", \"m\".\"Id\"", sql.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_UserName_SortsCaseInsensitively()
    {
        // Ordinal order would put "Bob@Example.com" and "DÄVE" before "alice@example.com".
        Assert.Equal(["alice", "bob", "carol", "dave"], await Sorted("userName", "ascending"));
        Assert.Equal(["dave", "carol", "bob", "alice"], await Sorted("USERNAME", "Descending"));
    }

    [Fact]
    public async Task Apply_TiesAndNulls_BreakByCreatedThenIdAscending()
    {
        // title: alice "Engineer", bob null, carol "", dave null. SQLite sorts NULL first.
        Assert.Equal(["bob", "dave", "carol", "alice"], await Sorted("title", null));
        Assert.Equal(["alice", "carol", "bob", "dave"], await Sorted("title", "descending"));
        // active: bob false; the others tie and keep creation order.
        Assert.Equal(["bob", "alice", "carol", "dave"], await Sorted("active", null));
    }

    [Fact]
    public async Task Apply_ExtensionAndMetaPaths_Resolve()
    {
        Assert.Equal(["dave", "carol", "bob", "alice"], await Sorted("meta.created", "descending"));
        // department: alice "R&D", bob "Sales", carol and dave unassigned.
        Assert.Equal(["carol", "dave", "alice", "bob"], await Sorted("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", null));
        Assert.Equal(["carol", "dave", "alice", "bob"], await Sorted("department", null)); // Entra: without the URN
        Assert.Equal(["alice", "dave", "bob", "carol"], await Sorted("manager", null)); // by manager id: unassigned first
    }

    [Theory]
    [InlineData("emails", null)]
    [InlineData("emails.value", null)]
    [InlineData("addresses.locality", null)]
    [InlineData("groups", null)]
    [InlineData("nickname2", null)]
    [InlineData("name", null)]
    [InlineData("password", null)]
    [InlineData("userName", "sideways")]
    public async Task Apply_UnsortableSortByOrBadOrder_ThrowsInvalidValue(string sortBy, string? sortOrder)
    {
        await using var db = data.CreateContext();

        var ex = Assert.Throws<ScimException>(() => SortTranslator.Apply(db.Members, ScimRegistry.UserType, sortBy, sortOrder));
        Assert.Equal(400, ex.Status);
        Assert.Equal(ScimErrorType.InvalidValue, ex.ScimType);
    }

    [Trait("Provider", "Sqlite")] // asserts SQLite's own query plan or SQL text
    [Fact]
    public async Task Apply_GroupsByDisplayName_UsesNormalizedColumn()
    {
        await using var db = data.CreateContext();
        var query = SortTranslator.Apply(db.Groups.Where(g => g.WorkspaceId == data.WorkspaceA), ScimRegistry.GroupType, "displayName", null);

        Assert.Contains("ORDER BY \"g\".\"NormalizedDisplayName\", \"g\".\"Created\", \"g\".\"Id\"", query.ToQueryString(), StringComparison.Ordinal);
        Assert.Equal(["Empty_Group", "Engineering", "Sales"], await query.Select(g => g.DisplayName).ToListAsync());
    }
}
