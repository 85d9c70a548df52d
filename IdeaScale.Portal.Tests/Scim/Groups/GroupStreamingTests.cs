using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

using IdeaScale.Portal.Scim.Groups;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;
using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Scim.Groups;

/// <summary>The SCIM test app with a small member batch (250), so a few thousand members take many batches.</summary>
public sealed class SmallBatchScimFactory() : PortalFactory(null, new Dictionary<string, string?>(ScimFactory.Settings())
{
    ["Logging:LogLevel:IdeaScale.Portal.Scim.Groups.GroupReader"] = "Debug",
    [GroupReader.BatchSizeKey] = SmallBatchScimFactory.BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
})
{
    public const int BatchSize = 250;

    public HttpClient Scim()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", IdesToken);
        return client;
    }

    /// <summary>The SQL commands executed since <paramref name="mark"/>, as <see cref="ScimFactory.SqlSince"/>.</summary>
    public IReadOnlyList<string> SqlSince(int mark) =>
        Logs.Lines.Skip(mark).Where(l => l.Contains("Executed DbCommand", StringComparison.Ordinal)
            || l.Contains("Executed prepared ", StringComparison.Ordinal)).ToList();

    public async Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<PortalDbContext>());
    }
}

/// <summary>
/// GET /Groups/{id} and GET /Groups stream members with bounded memory (issue 14 part 2): members are read in key
/// order in keyset batches of at most the batch size (asserted by the rows each statement returned, and by the SQL:
/// no statement without the LIMIT, never OFFSET), written as they are read (no Content-Length), and the streamed JSON
/// equals the general path's (<see cref="GroupMapper.ToJson"/> + <see cref="AttributeSelection.Apply"/>).
/// </summary>
public sealed class GroupStreamingTests(SmallBatchScimFactory factory) : IClassFixture<SmallBatchScimFactory>
{
    private const int Members = 3_100;
    private static readonly Regex Batch = new(@"Read (\d+) member rows of group ([0-9a-f-]+) in one batch", RegexOptions.CultureInvariant);

    [Theory]
    [InlineData("")]
    [InlineData("?attributes=members.value,displayName")]
    [InlineData("?excludedAttributes=members.display,externalId")]
    [InlineData("?attributes=members")]
    public async Task GetGroup_SeveralThousandMembers_StreamsInBoundedBatchesEqualToGeneralPath(string query)
    {
        var client = factory.Scim();
        var groupId = await LargeGroupAsync($"stream {query.GetHashCode(StringComparison.Ordinal)}");

        var mark = factory.Logs.Lines.Count;
        using var response = await client.GetAsync($"/scim/v2/Groups/{groupId}{query}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Content.Headers.ContentLength); // streamed, not buffered to count its length
        var text = await response.Content.ReadAsStringAsync();

        var batches = BatchesSince(mark, groupId);
        Assert.Equal(Members / SmallBatchScimFactory.BatchSize + 1, batches.Count);
        Assert.All(batches, rows => Assert.InRange(rows, 0, SmallBatchScimFactory.BatchSize));
        Assert.Equal(Members + 1, batches.Sum()); // the members and the nested group
        Assert.DoesNotContain(factory.SqlSince(mark), s => s.Contains("OFFSET", StringComparison.OrdinalIgnoreCase));
        Assert.All(factory.SqlSince(mark).Where(s => s.Contains("GroupMemberships", StringComparison.Ordinal)),
            s => Assert.Contains($"LIMIT {SmallBatchScimFactory.BatchSize}", s, StringComparison.Ordinal));

        var expected = await GeneralPathAsync(groupId, query);
        Assert.Equal(expected, text);
        using var document = JsonDocument.Parse(text);
        Assert.Equal(response.Headers.ETag!.ToString(), document.RootElement.GetProperty("meta").GetProperty("version").GetString());
    }

    [Fact]
    public async Task ListGroups_PageWithALargeGroup_StreamsItsMembersInBatches()
    {
        var client = factory.Scim();
        var groupId = await LargeGroupAsync("stream listed");

        var mark = factory.Logs.Lines.Count;
        using var response = await client.GetAsync($"/scim/v2/Groups?filter=displayName eq \"stream listed\"");
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(HttpStatusCode.OK == response.StatusCode, text);
        var batches = BatchesSince(mark, groupId);
        Assert.True(batches.Count > 0, text[..Math.Min(2000, text.Length)]);
        Assert.All(batches, rows => Assert.InRange(rows, 0, SmallBatchScimFactory.BatchSize));
        Assert.Equal(Members + 1, batches.Sum());
        using var document = JsonDocument.Parse(text);
        Assert.Equal(1, document.RootElement.GetProperty("totalResults").GetInt32());
        var resource = document.RootElement.GetProperty("Resources")[0];
        Assert.Equal(await GeneralPathAsync(groupId, ""), resource.GetRawText());
    }

    [Fact]
    public async Task GetGroup_ETagAndIfNoneMatch_StillMatchTheStreamedVersion()
    {
        var client = factory.Scim();
        var groupId = await LargeGroupAsync("stream etag");
        using var first = await client.GetAsync($"/scim/v2/Groups/{groupId}");
        var etag = first.Headers.ETag!;

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/scim/v2/Groups/{groupId}");
        request.Headers.IfNoneMatch.Add(etag);
        var mark = factory.Logs.Lines.Count;
        using var notModified = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(BatchesSince(mark, groupId)); // no member read for a 304
        var user = await client.CreateUserAsync("stream.etag.newcomer@ides.example");
        using var patched = await client.PatchAsync($"/scim/v2/Groups/{groupId}",
            ScimHttp.Json($$"""{"Operations":[{"op":"add","path":"members","value":[{"value":"{{user}}"}]}]}"""));
        Assert.Equal(HttpStatusCode.NoContent, patched.StatusCode);
        using var after = await client.GetAsync($"/scim/v2/Groups/{groupId}");
        Assert.Equal(patched.Headers.ETag, after.Headers.ETag);
        Assert.NotEqual(etag, after.Headers.ETag);
        Assert.Contains(user, await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("?attributes=nope", 400)]
    [InlineData("?excludedAttributes=members.nope", 400)]
    [InlineData("", 404)]
    public async Task GetGroup_BadInput_AnswersScimErrorBeforeStreaming(string query, int status)
    {
        var client = factory.Scim();
        var groupId = status == 404 ? Guid.NewGuid().ToString() : await LargeGroupAsync($"stream bad {query}");
        var mark = factory.Logs.Lines.Count;

        var result = await client.GetJsonAsync($"/scim/v2/Groups/{groupId}{query}");

        ScimHttp.AssertError(result, status);
        Assert.Empty(BatchesSince(mark, groupId));
    }

    /// <summary>A group of <see cref="Members"/> users and one nested group, inserted directly (fast).</summary>
    private async Task<string> LargeGroupAsync(string name)
    {
        var client = factory.Scim();
        var nested = await client.CreateGroupAsync(name + " nested");
        var group = await client.CreateGroupAsync(name, nested);
        var groupId = Guid.Parse(group);
        var ws = await factory.WithDbAsync(db => db.Workspaces.Where(w => w.Slug == "ides").Select(w => w.Id).SingleAsync());
        await factory.WithDbAsync(async db =>
        {
            var members = Enumerable.Range(0, Members).Select(i => new WorkspaceMember
            {
                WorkspaceId = ws,
                UserName = $"{groupId:N}.{i}@ides.example",
                DisplayName = i % 3 == 0 ? null : $"Member {i} \"quoted\" ä",
            }).ToList();
            db.Members.AddRange(members);
            db.GroupMemberships.AddRange(members.Select(m => new GroupMembership { GroupId = groupId, MemberId = m.Id, MemberType = GroupMemberType.User, WorkspaceId = ws }));
            return await db.SaveChangesAsync();
        });
        return group;
    }

    /// <summary>The group as the general path writes it: the whole member list loaded, mapped to a JSON tree, selected, serialised.</summary>
    private async Task<string> GeneralPathAsync(string id, string query)
    {
        var parameters = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query);
        var selection = AttributeSelection.Parse(ScimRegistry.GroupType,
            parameters.TryGetValue("attributes", out var a) ? a.ToString() : null,
            parameters.TryGetValue("excludedAttributes", out var e) ? e.ToString() : null);
        return await factory.WithDbAsync(async db =>
        {
            var group = await db.Groups.AsNoTracking().SingleAsync(g => g.Id == Guid.Parse(id));
            var members = (await GroupMapper.LoadMembersAsync(db, [group.Id], CancellationToken.None))[group.Id].ToList();
            return JsonSerializer.Serialize(selection.Apply(GroupMapper.ToJson(group, members, ScimFactory.IdesBase)), ScimJson.Options);
        });
    }

    private List<int> BatchesSince(int mark, string groupId) =>
        [.. factory.Logs.Lines.Skip(mark).Select(l => Batch.Match(l)).Where(m => m.Success && m.Groups[2].Value == groupId).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];
}
