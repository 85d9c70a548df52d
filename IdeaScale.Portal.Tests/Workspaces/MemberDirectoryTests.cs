using System.Text.RegularExpressions;

using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Workspaces;

using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Workspaces;

public sealed partial class MemberDirectoryTests : IDisposable
{
    private readonly PortalFactory factory = new(null, new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Information",
    });

    private MemberDirectory Directory => factory.Services.GetRequiredService<MemberDirectory>();

    public static TheoryData<MemberSort, bool> Sorts()
    {
        var data = new TheoryData<MemberSort, bool>();
        foreach (var sort in Enum.GetValues<MemberSort>())
        {
            data.Add(sort, false);
            data.Add(sort, true);
        }

        return data;
    }

    [Trait("Provider", "Sqlite")] // asserts SQLite's own query plan or SQL text
    [Theory]
    [MemberData(nameof(Sorts))]
    public async Task MembersSql_EverySortOrder_IsServedByAnIndexWithoutTempSort(MemberSort sort, bool descending)
    {
        var workspaceId = (await Directory.WorkspaceIdAsync("ides"))!.Value;

        var plan = await QueryPlanAsync(await Directory.MembersSqlAsync(workspaceId, new MemberQuery(null, sort, descending, 3, 25)));

        Assert.Contains("INDEX", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
        Assert.Contains("LIMIT", await Directory.MembersSqlAsync(workspaceId, new MemberQuery(null, sort, descending, 3, 25)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MembersAsync_FullPage_RunsFourQueriesWhateverThePageSize()
    {
        var workspaceId = (await Directory.WorkspaceIdAsync("ides"))!.Value;
        await using (var db = await NewDbAsync())
        {
            var group = await db.Groups.SingleAsync(g => g.WorkspaceId == workspaceId && g.DisplayName == "Research");
            for (var i = 0; i < 60; i++)
            {
                var m = new WorkspaceMember { WorkspaceId = workspaceId, UserName = $"bulk-{i:000}@ides.example" };
                m.Values.Add(new MemberValue { Kind = MemberValueKind.Email, Value = m.UserName, Primary = true });
                db.Members.Add(m);
                db.GroupMemberships.Add(new GroupMembership { GroupId = group.Id, MemberId = m.Id, MemberType = GroupMemberType.User, WorkspaceId = workspaceId });
            }

            await db.SaveChangesAsync();
        }

        var before = CommandCount();
        var page = await Directory.MembersAsync(workspaceId, new MemberQuery("bulk-", MemberSort.UserName, false, 0, 50));
        var queries = CommandCount() - before;

        Assert.Equal(60, page.TotalItems);
        Assert.Equal(50, page.Items.Count);
        Assert.All(page.Items, r => Assert.Equal(r.UserName, r.PrimaryEmail));
        Assert.All(page.Items, r => Assert.Equal("Research", Assert.Single(r.Groups).DisplayName));
        Assert.Equal(4, queries); // count, page, the page's emails, the page's groups
    }

    [Fact]
    public async Task MembersAsync_SearchWithLikeWildcards_MatchesThemLiterally()
    {
        var workspaceId = (await Directory.WorkspaceIdAsync("ides"))!.Value;

        Assert.Equal(0, (await Directory.MembersAsync(workspaceId, new MemberQuery("%", MemberSort.UserName, false, 0, 25))).TotalItems);
        Assert.Equal(0, (await Directory.MembersAsync(workspaceId, new MemberQuery("_", MemberSort.UserName, false, 0, 25))).TotalItems);
        var byEmail = await Directory.MembersAsync(workspaceId, new MemberQuery("LOVELACE@IDES", MemberSort.UserName, false, 0, 25));
        Assert.Equal("ada.lovelace@ides.example", Assert.Single(byEmail.Items).UserName);
    }

    [Fact]
    public async Task MembersAsync_OtherWorkspace_SeesNoneOfIdesMembers()
    {
        var acme = (await Directory.WorkspaceIdAsync("acme"))!.Value;
        var idesMember = (await Directory.MembersAsync((await Directory.WorkspaceIdAsync("ides"))!.Value, new MemberQuery(null, MemberSort.UserName, false, 0, 1))).Items[0];

        Assert.Equal(0, (await Directory.MembersAsync(acme, new MemberQuery(null, MemberSort.UserName, false, 0, 25))).TotalItems);
        Assert.Null(await Directory.MemberAsync(acme, idesMember.Id));
    }

    [Fact]
    public async Task GroupsAsync_DemoWorkspace_CountsMembersInSqlAndPagesGroupMembers()
    {
        var workspaceId = (await Directory.WorkspaceIdAsync("ides"))!.Value;

        var groups = await Directory.GroupsAsync(workspaceId, null, 0, 25);

        Assert.Equal([("Engineering", 4), ("Research", 2)], groups.Items.Select(g => (g.DisplayName, g.MemberCount)));
        var engineering = groups.Items[0];
        var first = await Directory.GroupMembersAsync(workspaceId, engineering.Id, 0, 3);
        var second = await Directory.GroupMembersAsync(workspaceId, engineering.Id, 1, 3);
        Assert.Equal(4, first.TotalItems);
        Assert.Equal(3, first.Items.Count);
        Assert.Single(second.Items);
        Assert.Equal(
            ["barbara.liskov@ides.example", "grace.hopper@ides.example", "katherine.johnson@ides.example", "tim.berners-lee@ides.example"],
            first.Items.Concat(second.Items).Select(m => m.UserName));
    }

    /// <summary>Issue 11 item 13: a manager reference that is no user of the workspace is shown as such, as sent.</summary>
    [Fact]
    public async Task MemberAsync_ManagerReferences_ShowsLinkedManagerAndUnresolvedValueAsSuch()
    {
        const string enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        var workspaceId = (await Directory.WorkspaceIdAsync("ides"))!.Value;
        using var scim = factory.CreateClient();
        scim.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", PortalFactory.IdesToken);
        async Task<Guid> CreateAsync(string json)
        {
            using var response = await scim.PostAsync("/scim/v2/Users", new StringContent(json, System.Text.Encoding.UTF8, "application/scim+json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, text);
            return Guid.Parse(System.Text.Json.Nodes.JsonNode.Parse(text)!["id"]!.GetValue<string>());
        }

        var boss = await CreateAsync("""{"userName":"drawer.boss@ides.example","displayName":"Drawer Boss"}""");
        var linked = await CreateAsync($$"""{"userName":"drawer.linked@ides.example","{{enterprise}}":{"manager":{"value":"{{boss}}"} } }""");
        var unresolved = await CreateAsync($$"""{"userName":"drawer.unresolved@ides.example","{{enterprise}}":{"manager":{"value":"okta.boss@ides.example"} } }""");

        IReadOnlyList<AttributeLine> ManagerLines(MemberDetail detail) =>
            detail.Sections.Single(s => s.SchemaId == enterprise).Lines.Where(l => l.Path.StartsWith("manager", StringComparison.Ordinal)).ToList();
        var linkedLines = ManagerLines((await Directory.MemberAsync(workspaceId, linked))!);
        Assert.Equal(boss.ToString(), linkedLines.Single(l => l.Path == "manager.value").Value);
        Assert.Equal("Drawer Boss", linkedLines.Single(l => l.Path == "manager.displayName").Value);
        var unresolvedLines = ManagerLines((await Directory.MemberAsync(workspaceId, unresolved))!);
        Assert.Equal([new AttributeLine("manager.value", "unresolved: okta.boss@ides.example")], unresolvedLines);
    }

    public void Dispose() => factory.Dispose();

    private int CommandCount() => factory.Logs.Lines.Count(l => l.Contains("Executed DbCommand", StringComparison.Ordinal));

    [Fact]
    public async Task MembersAsync_StatusAndGroupFilters_ReturnOnlyMatchingMembersCountedInSql()
    {
        var workspaceId = (await Directory.WorkspaceIdAsync("ides"))!.Value;
        Guid engineering, acmeGroup;
        await using (var db = await NewDbAsync())
        {
            engineering = await db.Groups.Where(g => g.WorkspaceId == workspaceId && g.DisplayName == "Engineering").Select(g => g.Id).SingleAsync();
            // A group of another workspace: filtering ides by it finds nobody, even for a member id it holds.
            var acme = await db.Workspaces.Where(w => w.Slug == "acme").Select(w => w.Id).SingleAsync();
            var foreign = new WorkspaceGroup { WorkspaceId = acme, DisplayName = "Engineering" };
            db.Groups.Add(foreign);
            var ada = await db.Members.SingleAsync(m => m.WorkspaceId == workspaceId && m.UserName == "ada.lovelace@ides.example");
            db.GroupMemberships.Add(new GroupMembership { GroupId = foreign.Id, MemberId = ada.Id, MemberType = GroupMemberType.User, WorkspaceId = acme });
            await db.SaveChangesAsync();
            acmeGroup = foreign.Id;
        }

        static List<string> Names(PageOf<MemberRow> page) => page.Items.Select(m => m.UserName).ToList();

        var deactivated = await Directory.MembersAsync(workspaceId, new MemberQuery(null, MemberSort.UserName, false, 0, 25, Active: false));
        Assert.Equal(["tim.berners-lee@ides.example"], Names(deactivated));
        Assert.Equal(1, deactivated.TotalItems);

        var active = await Directory.MembersAsync(workspaceId, new MemberQuery(null, MemberSort.UserName, false, 0, 25, Active: true));
        Assert.Equal(5, active.TotalItems);
        Assert.DoesNotContain("tim.berners-lee@ides.example", Names(active));

        var inEngineering = await Directory.MembersAsync(workspaceId, new MemberQuery(null, MemberSort.UserName, false, 0, 25, GroupId: engineering));
        Assert.Equal(
            ["barbara.liskov@ides.example", "grace.hopper@ides.example", "katherine.johnson@ides.example", "tim.berners-lee@ides.example"],
            Names(inEngineering));

        var activeInEngineeringNamedK = await Directory.MembersAsync(workspaceId, new MemberQuery("kath", MemberSort.UserName, false, 0, 25, true, engineering));
        Assert.Equal(["katherine.johnson@ides.example"], Names(activeInEngineeringNamedK));

        Assert.Equal(0, (await Directory.MembersAsync(workspaceId, new MemberQuery(null, MemberSort.UserName, false, 0, 25, GroupId: acmeGroup))).TotalItems);

        // Both filters are part of the SQL (no client-side filtering of a loaded page).
        var sql = await Directory.MembersSqlAsync(workspaceId, new MemberQuery(null, MemberSort.UserName, false, 0, 25, false, engineering));
        Assert.Contains("\"Active\"", sql, StringComparison.Ordinal);
        Assert.Contains("EXISTS", sql, StringComparison.Ordinal);
    }

    private async Task<PortalDbContext> NewDbAsync() =>
        await factory.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();

    /// <summary>SQLite's EXPLAIN QUERY PLAN for the SQL that EF's ToQueryString printed (".param set" lines become parameters).</summary>
    private async Task<string> QueryPlanAsync(string printed)
    {
        await using var connection = new SqliteConnection($"Data Source={factory.DatabasePath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        var sql = new List<string>();
        foreach (var line in printed.Split('\n'))
        {
            var param = ParamLine().Match(line);
            if (param.Success)
            {
                var value = param.Groups[2].Value.Trim();
                command.Parameters.AddWithValue(param.Groups[1].Value,
                    value.StartsWith('\'') ? value.Trim('\'') : long.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sql.Add(line);
            }
        }

        command.CommandText = "EXPLAIN QUERY PLAN " + string.Join('\n', sql);
        var plan = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(3));
        }

        return string.Join('\n', plan);
    }

    [GeneratedRegex(@"^\.param set (@\w+) (.+)$")]
    private static partial Regex ParamLine();
}
