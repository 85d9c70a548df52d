using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Paging;

namespace IdeaScale.Portal.Tests.Scim.Paging;

/// <summary>
/// An Okta import walk (<c>startIndex=1,6,11,…</c> in order) continues from the previous page's last key instead of
/// re-reading every row before it with OFFSET (issue 14 part 4), and returns what the OFFSET walk returns.
/// </summary>
public sealed class IndexWalkTests(CursorFactory factory) : IClassFixture<CursorFactory>
{
    private const int PageSize = 5;

    [Theory]
    [InlineData("", "")]
    [InlineData("userName", "descending")]
    [InlineData("displayName", "")]
    public async Task ForwardWalk_EqualsOffsetWalk_AndSeeksWithoutOffset(string sortBy, string sortOrder)
    {
        var client = factory.Scim();
        var prefix = $"iwalk{sortBy}{sortOrder}.";
        await CreateUsersAsync(client, prefix, 23);
        var url = Url(prefix, sortBy, sortOrder);

        // The OFFSET walk: pages asked for last to first, so none follows a page served before it.
        var byOffset = new List<string>();
        for (var start = 21; start >= 1; start -= PageSize)
        {
            var mark = factory.Logs.Lines.Count;
            var (_, page) = await client.GetJsonAsync($"{url}&startIndex={start}&count={PageSize}");
            byOffset.InsertRange(0, Ids(page!));
            Assert.Equal(23, page!["totalResults"]!.GetValue<int>());
            if (start > 1)
            {
                Assert.Contains("OFFSET", PageSql(mark), StringComparison.OrdinalIgnoreCase);
            }
        }

        var (walked, pageSql, counts) = await ForwardWalkAsync(client, url, 23);

        Assert.Equal(23, byOffset.Count);
        Assert.Equal(byOffset, walked);
        Assert.All(pageSql.Skip(1), sql => Assert.DoesNotContain("OFFSET", sql, StringComparison.OrdinalIgnoreCase));
        Assert.All(pageSql.Skip(1), sql => Assert.Contains("\"Id\" >", sql, StringComparison.Ordinal)); // the position, compared in SQL
        Assert.Equal(1, counts); // the first page; the seeks reuse the count (the clock stands still), the last page knows its total
    }

    [Fact]
    public async Task ForwardWalk_CountsAgainAfterTotalLifetime()
    {
        var client = factory.Scim();
        const string prefix = "iwcount.";
        await CreateUsersAsync(client, prefix, 18);
        var url = Url(prefix, "", "");
        await client.GetJsonAsync($"{url}&startIndex=1&count={PageSize}");
        var mark = factory.Logs.Lines.Count;
        await client.GetJsonAsync($"{url}&startIndex=6&count={PageSize}");
        var reused = Commands(mark).Count(s => s.Contains("COUNT(*)", StringComparison.OrdinalIgnoreCase));

        factory.Time.Advance(IndexPaging.TotalLifetime);
        mark = factory.Logs.Lines.Count;
        var (_, page) = await client.GetJsonAsync($"{url}&startIndex=11&count={PageSize}");

        Assert.Equal(0, reused);
        Assert.Equal(1, Commands(mark).Count(s => s.Contains("COUNT(*)", StringComparison.OrdinalIgnoreCase)));
        Assert.DoesNotContain("OFFSET", PageSql(mark), StringComparison.OrdinalIgnoreCase); // still a seek
        Assert.Equal(18, page!["totalResults"]!.GetValue<int>());
    }

    [Fact]
    public async Task ForwardWalk_ConcurrentInsertsAndDeletes_NoDuplicatesAndNoPreexistingUserMissed()
    {
        var client = factory.Scim();
        const string prefix = "iwconc.";
        var existing = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            existing.Add(await client.CreateUserAsync($"{prefix}{i:00}@ides.example"));
        }

        var url = Url(prefix, "userName", "");
        var seen = new List<string>();
        for (var start = 1; ; start += PageSize)
        {
            var (_, page) = await client.GetJsonAsync($"{url}&startIndex={start}&count={PageSize}");
            var ids = Ids(page!);
            seen.AddRange(ids);
            if (ids.Count < PageSize)
            {
                break;
            }

            // Between pages, before the position: a user arrives (OFFSET would repeat a user) or one already seen
            // leaves (OFFSET would skip one); the seek continues after the last user returned.
            if (start / PageSize % 2 == 0)
            {
                await client.CreateUserAsync($"{prefix}{start:00}a@ides.example");
            }
            else
            {
                Assert.Equal(204, (int)(await client.DeleteAsync($"/scim/v2/Users/{ids[0]}")).StatusCode);
            }
        }

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.All(existing, id => Assert.Contains(id, seen));
    }

    [Fact]
    public async Task Walk_OtherStartIndex_FallsBackToOffset()
    {
        var client = factory.Scim();
        const string prefix = "iwjump.";
        await CreateUsersAsync(client, prefix, 12);
        var url = Url(prefix, "", "");
        var (_, first) = await client.GetJsonAsync($"{url}&startIndex=1&count={PageSize}");

        var mark = factory.Logs.Lines.Count;
        var (_, jumped) = await client.GetJsonAsync($"{url}&startIndex=8&count={PageSize}"); // does not follow 1..5

        Assert.Contains("OFFSET", PageSql(mark), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(5, Ids(jumped!).Count);
        Assert.Empty(Ids(first!).Intersect(Ids(jumped!)));
    }

    private async Task<(List<string> Ids, List<string> PageSql, int Counts)> ForwardWalkAsync(HttpClient client, string url, int expectedTotal)
    {
        var ids = new List<string>();
        var pageSql = new List<string>();
        var counts = 0;
        for (var start = 1; ; start += PageSize)
        {
            var mark = factory.Logs.Lines.Count;
            var (response, page) = await client.GetJsonAsync($"{url}&startIndex={start}&count={PageSize}");
            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal(expectedTotal, page!["totalResults"]!.GetValue<int>());
            Assert.Equal(start, page["startIndex"]!.GetValue<int>());
            pageSql.Add(PageSql(mark));
            counts += Commands(mark).Count(s => s.Contains("COUNT(*)", StringComparison.OrdinalIgnoreCase));
            var pageIds = Ids(page);
            ids.AddRange(pageIds);
            if (pageIds.Count < PageSize)
            {
                return (ids, pageSql, counts);
            }
        }
    }

    private static async Task CreateUsersAsync(HttpClient client, string prefix, int count)
    {
        for (var i = 0; i < count; i++)
        {
            // Names out of creation order; some without displayName (unassigned sorts lowest).
            var extra = i % 4 == 0 ? null : $"\"displayName\":\"D{(i * 7) % count:00}\"";
            await client.CreateUserAsync($"{prefix}{(i * 11) % count:00}@ides.example", extra);
        }
    }

    private static string Url(string prefix, string sortBy, string sortOrder) =>
        $"/scim/v2/Users?filter={Uri.EscapeDataString($"userName sw \"{prefix}\"")}"
        + (sortBy.Length > 0 ? $"&sortBy={sortBy}" : "") + (sortOrder.Length > 0 ? $"&sortOrder={sortOrder}" : "");

    private List<string> Commands(int mark) =>
        [.. factory.Logs.Lines.Skip(mark).Where(l => l.Contains("Executed DbCommand", StringComparison.Ordinal))];

    /// <summary>The statement that read the page's users (ordered and limited).</summary>
    private string PageSql(int mark) =>
        Assert.Single(Commands(mark), s => s.Contains("LIMIT", StringComparison.Ordinal) && s.Contains("ORDER BY", StringComparison.Ordinal));

    private static List<string> Ids(JsonObject page) => [.. page["Resources"]!.AsArray().Select(r => r!["id"]!.GetValue<string>())];
}
