using System.Net.Http.Headers;
using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Paging;
using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IdeaScale.Portal.Tests.Scim.Paging;

/// <summary>The SCIM test app with a settable clock (cursor expiry).</summary>
public sealed class CursorFactory() : PortalFactory(null, ScimFactory.Settings())
{
    // A whole microsecond (PostgreSQL's precision), near now (the Data Protection key ring's own clock).
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UnixEpoch.AddMicroseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000L));

    protected override void ConfigureTestServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Time);

    public HttpClient Scim(string token = IdesToken)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}

/// <summary>RFC 9865 cursor paging on /Users and /Groups (issue 14 part 4).</summary>
public sealed class CursorPagingTests(CursorFactory factory) : IClassFixture<CursorFactory>
{
    [Theory]
    [InlineData("", "")]
    [InlineData("userName", "")]
    [InlineData("displayName", "descending")]
    [InlineData("active", "ascending")]
    public async Task CursorWalk_EqualsIndexWalk(string sortBy, string sortOrder)
    {
        var client = factory.Scim();
        var prefix = $"cwalk{sortBy}{sortOrder}.";
        for (var i = 0; i < 23; i++)
        {
            // Some without displayName (unassigned sorts lowest), some inactive, names out of creation order.
            var extra = (i % 4 == 0 ? "" : $"\"displayName\":\"D{(i * 7) % 23:00}\",") + $"\"active\":{(i % 3 == 0 ? "false" : "true")}";
            await client.CreateUserAsync($"{prefix}{(i * 11) % 23:00}@ides.example", extra);
        }

        var filter = Uri.EscapeDataString($"userName sw \"{prefix}\"");
        var order = (sortBy.Length > 0 ? $"&sortBy={sortBy}" : "") + (sortOrder.Length > 0 ? $"&sortOrder={sortOrder}" : "");
        var byIndex = new List<string>();
        for (var start = 1; ; start += 5)
        {
            var (_, page) = await client.GetJsonAsync($"/scim/v2/Users?filter={filter}{order}&startIndex={start}&count=5");
            var ids = Ids(page!);
            byIndex.AddRange(ids);
            if (ids.Count < 5)
            {
                break;
            }
        }

        var byCursor = await CursorWalkAsync(client, $"/scim/v2/Users?filter={filter}{order}", 5);

        Assert.Equal(23, byIndex.Count);
        Assert.Equal(byIndex, byCursor);
    }

    [Fact]
    public async Task CursorWalk_FirstPage_HasListShapeWithoutStartIndex()
    {
        var client = factory.Scim();
        for (var i = 0; i < 3; i++)
        {
            await client.CreateUserAsync($"cshape.{i}@ides.example");
        }

        var (response, body) = await client.GetJsonAsync($"/scim/v2/Users?filter={Uri.EscapeDataString("userName sw \"cshape.\"")}&cursor&count=2");

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(3, body!["totalResults"]!.GetValue<int>());
        Assert.Equal(2, body["itemsPerPage"]!.GetValue<int>());
        Assert.False(body.ContainsKey("startIndex"));
        var next = body["nextCursor"]!.GetValue<string>();
        Assert.Matches("^[A-Za-z0-9_~.-]+$", next); // RFC 3986 unreserved characters only
        var (_, last) = await client.GetJsonAsync($"/scim/v2/Users?filter={Uri.EscapeDataString("userName sw \"cshape.\"")}&cursor={next}&count=2");
        Assert.Single(last!["Resources"]!.AsArray());
        Assert.False(last.ContainsKey("nextCursor")); // the last page
        Assert.Equal(3, last["totalResults"]!.GetValue<int>());
    }

    [Fact]
    public async Task CursorWalk_ConcurrentInserts_NoDuplicatesOrGaps()
    {
        var client = factory.Scim();
        var existing = new List<string>();
        for (var i = 0; i < 20; i += 2)
        {
            existing.Add(await client.CreateUserAsync($"cins.{i:00}@ides.example"));
        }

        var filter = Uri.EscapeDataString("userName sw \"cins.\"");
        var seen = new List<string>();
        var inserted = 0;
        string? cursor = "";
        while (cursor is not null)
        {
            var (_, page) = await client.GetJsonAsync($"/scim/v2/Users?filter={filter}&sortBy=userName&cursor={cursor}&count=3");
            seen.AddRange(Ids(page!));
            cursor = page!["nextCursor"]?.GetValue<string>();
            // Between pages, users sorting before and after the position arrive.
            await client.CreateUserAsync($"cins.{inserted * 2 + 1:00}@ides.example");
            await client.CreateUserAsync($"cins.{99 - inserted}@ides.example");
            inserted++;
        }

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.All(existing, id => Assert.Contains(id, seen));
    }

    [Fact]
    public async Task CursorPage_Deep_SeeksByKeyWithoutOffset()
    {
        var client = factory.Scim();
        var next = await FirstCursorAsync(client, "/scim/v2/Users?sortBy=userName&count=2");

        var mark = factory.Logs.Lines.Count;
        var (response, _) = await client.GetJsonAsync($"/scim/v2/Users?sortBy=userName&count=2&cursor={next}");

        Assert.Equal(200, (int)response.StatusCode);
        var sql = factory.Logs.Lines.Skip(mark).Where(l => l.Contains("Executed DbCommand", StringComparison.Ordinal)).ToList();
        var page = Assert.Single(sql, s => s.Contains("LIMIT", StringComparison.Ordinal) && s.Contains("ORDER BY", StringComparison.Ordinal));
        Assert.DoesNotContain("OFFSET", page, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"NormalizedUserName\" >", page, StringComparison.Ordinal); // the position, compared in SQL
    }

    /// <summary>
    /// A page in the default order is an index range from the position: with only the keyset disjunction SQLite
    /// walked the (workspace, created, id) index from the workspace's first row, so a page cost grew with its depth.
    /// </summary>
    [Trait("Provider", "Sqlite")]
    [Fact]
    public async Task CursorPage_DefaultOrder_IsAnIndexRangeFromThePosition()
    {
        var client = factory.Scim();
        var next = await FirstCursorAsync(client, "/scim/v2/Users?count=2");

        var mark = factory.Logs.Lines.Count;
        var (response, _) = await client.GetJsonAsync($"/scim/v2/Users?count=2&cursor={next}");

        Assert.Equal(200, (int)response.StatusCode);
        var page = Assert.Single(factory.Logs.Lines.Skip(mark), l => l.Contains("Executed DbCommand", StringComparison.Ordinal)
            && l.Contains("LIMIT", StringComparison.Ordinal) && l.Contains("ORDER BY", StringComparison.Ordinal));
        var plan = await factory.QueryPlanAsync(page[(page.IndexOf('\n', StringComparison.Ordinal) + 1)..]);
        Assert.Matches(@"^SEARCH \w+ USING (COVERING )?INDEX IX_Members_WorkspaceId_Created_Id \(WorkspaceId=\? AND Created>\?\)$", plan);
    }

    /// <summary>totalResults is counted once per walk and carried in the cursor, then counted again when it is older than 30 s.</summary>
    [Fact]
    public async Task CursorWalk_CountsOnTheFirstPage_CarriesTheTotal_RecountsWhenStale()
    {
        var client = factory.Scim();
        for (var i = 0; i < 5; i++)
        {
            await client.CreateUserAsync($"ccount.{i}@ides.example");
        }

        var filter = Uri.EscapeDataString("userName sw \"ccount.\"");
        var (_, first) = await client.GetJsonAsync($"/scim/v2/Users?filter={filter}&count=2&cursor=");
        Assert.Equal(5, first!["totalResults"]!.GetValue<int>());

        var mark = factory.Logs.Lines.Count;
        var (_, second) = await client.GetJsonAsync($"/scim/v2/Users?filter={filter}&count=2&cursor={first["nextCursor"]!.GetValue<string>()}");
        Assert.Equal(5, second!["totalResults"]!.GetValue<int>());
        Assert.DoesNotContain(factory.Logs.Lines.Skip(mark), l => l.Contains("Executed DbCommand", StringComparison.Ordinal) && l.Contains("COUNT(", StringComparison.OrdinalIgnoreCase));

        await client.CreateUserAsync("ccount.9@ides.example");
        factory.Time.Advance(IndexPaging.TotalLifetime + TimeSpan.FromSeconds(1));
        mark = factory.Logs.Lines.Count;
        var (_, third) = await client.GetJsonAsync($"/scim/v2/Users?filter={filter}&count=2&cursor={second["nextCursor"]!.GetValue<string>()}");
        Assert.Equal(6, third!["totalResults"]!.GetValue<int>());
        Assert.Contains(factory.Logs.Lines.Skip(mark), l => l.Contains("Executed DbCommand", StringComparison.Ordinal) && l.Contains("COUNT(", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Cursor_Tampered_Returns400InvalidCursor()
    {
        var client = factory.Scim();
        var next = await FirstCursorAsync(client, "/scim/v2/Users?count=1");
        var middle = next.Length / 2;
        var tampered = next[..middle] + (next[middle] == 'A' ? 'B' : 'A') + next[(middle + 1)..];

        ScimHttp.AssertError(await client.GetJsonAsync($"/scim/v2/Users?count=1&cursor={tampered}"), 400, "invalidCursor");
        ScimHttp.AssertError(await client.GetJsonAsync("/scim/v2/Users?count=1&cursor=not-a-cursor"), 400, "invalidCursor");
    }

    [Fact]
    public async Task Cursor_OlderThanCursorTimeout_Returns400ExpiredCursor()
    {
        var client = factory.Scim();
        var next = await FirstCursorAsync(client, "/scim/v2/Users?count=1");
        var timeout = factory.Services.GetRequiredService<ScimCursors>().TimeoutSeconds;

        factory.Time.Advance(TimeSpan.FromSeconds(timeout - 1));
        var (stillValid, _) = await client.GetJsonAsync($"/scim/v2/Users?count=1&cursor={next}");
        factory.Time.Advance(TimeSpan.FromSeconds(2));
        var expired = await client.GetJsonAsync($"/scim/v2/Users?count=1&cursor={next}");

        Assert.Equal(200, (int)stillValid.StatusCode);
        ScimHttp.AssertError(expired, 400, "expiredCursor");
    }

    [Fact]
    public async Task Cursor_FromAnotherWorkspaceOrQuery_Returns400InvalidCursor()
    {
        var client = factory.Scim();
        var next = await FirstCursorAsync(client, "/scim/v2/Users?count=1");

        ScimHttp.AssertError(await factory.Scim(PortalFactory.AcmeToken).GetJsonAsync($"/scim/v2/Users?count=1&cursor={next}"), 400, "invalidCursor");
        ScimHttp.AssertError(await client.GetJsonAsync($"/scim/v2/Users?count=1&sortBy=userName&cursor={next}"), 400, "invalidCursor");
        ScimHttp.AssertError(await client.GetJsonAsync($"/scim/v2/Users?count=1&filter=active%20eq%20true&cursor={next}"), 400, "invalidCursor");
        ScimHttp.AssertError(await client.GetJsonAsync($"/scim/v2/Groups?count=1&cursor={next}"), 400, "invalidCursor");
    }

    [Fact]
    public async Task Cursor_WithStartIndexOrZeroCount_Returns400()
    {
        var client = factory.Scim();
        ScimHttp.AssertError(await client.GetJsonAsync("/scim/v2/Users?cursor&startIndex=1"), 400, "invalidValue");
        ScimHttp.AssertError(await client.GetJsonAsync("/scim/v2/Users?cursor&count=0"), 400, "invalidCount");
    }

    [Fact]
    public async Task SearchAndGroups_CursorWalk_EqualsIndexWalk()
    {
        var client = factory.Scim();
        for (var i = 0; i < 7; i++)
        {
            await client.CreateGroupAsync($"cgroup {i}");
        }

        var (_, all) = await client.GetJsonAsync($"/scim/v2/Groups?filter={Uri.EscapeDataString("displayName sw \"cgroup \"")}&excludedAttributes=members");
        var byCursor = await CursorWalkAsync(client, $"/scim/v2/Groups?filter={Uri.EscapeDataString("displayName sw \"cgroup \"")}", 3);
        Assert.Equal(Ids(all!), byCursor);

        var searched = new List<string>();
        string? cursor = "";
        while (cursor is not null)
        {
            var (response, page) = await client.PostJsonAsync("/scim/v2/Groups/.search",
                new JsonObject { ["filter"] = "displayName sw \"cgroup \"", ["count"] = 2, ["cursor"] = cursor }.ToJsonString());
            Assert.Equal(200, (int)response.StatusCode);
            searched.AddRange(Ids(page!));
            cursor = page!["nextCursor"]?.GetValue<string>();
        }

        Assert.Equal(byCursor, searched);
    }

    [Fact]
    public async Task ServiceProviderConfig_AdvertisesCursorAndIndexPagination()
    {
        var (_, body) = await factory.Scim().GetJsonAsync("/scim/v2/ServiceProviderConfig");
        var pagination = body!["pagination"]!;
        Assert.True(pagination["cursor"]!.GetValue<bool>());
        Assert.True(pagination["index"]!.GetValue<bool>());
        Assert.Equal("index", pagination["defaultPaginationMethod"]!.GetValue<string>());
        Assert.Equal(body["filter"]!["maxResults"]!.GetValue<int>(), pagination["maxPageSize"]!.GetValue<int>());
        Assert.Equal(pagination["maxPageSize"]!.GetValue<int>(), pagination["defaultPageSize"]!.GetValue<int>());
        Assert.Equal(factory.Services.GetRequiredService<ScimCursors>().TimeoutSeconds, pagination["cursorTimeout"]!.GetValue<int>());
    }

    private static async Task<List<string>> CursorWalkAsync(HttpClient client, string url, int count)
    {
        var ids = new List<string>();
        string? cursor = "";
        while (cursor is not null)
        {
            var (response, page) = await client.GetJsonAsync($"{url}{(url.Contains('?', StringComparison.Ordinal) ? "&" : "?")}cursor={cursor}&count={count}");
            Assert.Equal(200, (int)response.StatusCode);
            ids.AddRange(Ids(page!));
            cursor = page!["nextCursor"]?.GetValue<string>();
        }

        return ids;
    }

    private static async Task<string> FirstCursorAsync(HttpClient client, string url)
    {
        var (_, page) = await client.GetJsonAsync(url + "&cursor=");
        return page!["nextCursor"]!.GetValue<string>();
    }

    private static List<string> Ids(JsonObject page) => [.. page["Resources"]!.AsArray().Select(r => r!["id"]!.GetValue<string>())];
}
