using System.Net;

using IdeaScale.Portal.Scim.Groups;
using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IdeaScale.Portal.Tests.Scim.Groups;

/// <summary>The real app on a real SQLite file (or its own PostgreSQL database), its clock a <see cref="FakeTimeProvider"/>.</summary>
public sealed class GroupWriteFactory() : PortalFactory(null, ScimFactory.Settings())
{
    /// <summary>Now, plus 0.7 µs: a stamp that is not cut to whole microseconds shows (PostgreSQL would round it up).</summary>
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UnixEpoch.AddMicroseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000L).AddTicks(7));

    protected override void ConfigureTestServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Time);

    public HttpClient Scim()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", IdesToken);
        return client;
    }

    public async Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<PortalDbContext>());
    }
}

/// <summary>
/// Group POST, PUT and PATCH write through the prepared statements of <see cref="GroupMembershipWriter"/> (a rented
/// long-lived connection, one write transaction, no EF change tracker). Each case states what the EF Core path stored
/// (the membership rows, the group's version and stamps, exactly the users whose membership changed bumped, the
/// provisioning log's names and counts) and compares the database's rows with it after the request as Entra or Okta
/// sends it. Stamps are the write's instant cut to whole microseconds, as the AuditStampInterceptor stamps a save.
/// </summary>
public sealed class GroupMembershipWriterTests(GroupWriteFactory factory) : IClassFixture<GroupWriteFactory>
{
    private const string PatchOp = "\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"]";

    private readonly HttpClient client = factory.Scim();

    /// <summary>
    /// The cases: the request ({u0}…{u3}: users, {n}: a nested group; the group starts with u0, u1 and n), the members
    /// after it, the users bumped, the names the log shows added and removed, and whether it replaced the members.
    /// </summary>
    public static TheoryData<string, string, string, string, string, string, string> Cases => new()
    {
        // Entra, default mode: Add with a value list, no query string (204).
        { "entra-add", "PATCH", $$"""{{{PatchOp}},"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"{u2}"}]}]}""", "u0 u1 n u2", "u2", "u2", "" },
        // Entra, flag mode: a filtered path.
        { "entra-remove-filter", "PATCH", $$"""{{{PatchOp}},"Operations":[{"op":"remove","path":"members[value eq \"{u0}\"]"}]}""", "u1 n", "u0", "", "u0" },
        // Entra, default mode: Remove with a value list, with a non-member and the nested group.
        { "entra-remove-list", "PATCH", $$"""{{{PatchOp}},"Operations":[{"op":"Remove","path":"members","value":[{"value":"{u0}"},{"value":"{u3}"},{"value":"{n}"}]}]}""", "u1", "u0", "", "u0 n" },
        // Okta: remove and add (with a display) in one PATCH.
        { "okta-remove-add", "PATCH", $$"""{{{PatchOp}},"Operations":[{"op":"remove","path":"members[value eq \"{u0}\"]"},{"op":"add","path":"members","value":[{"value":"{u3}","display":"x"}]}]}""", "u1 n u3", "u0 u3", "u3", "u0" },
        // Okta: replace of members; the nested group leaves (groups are not bumped, only users show groups).
        { "okta-replace", "PATCH", $$"""{{{PatchOp}},"Operations":[{"op":"replace","path":"members","value":[{"value":"{u1}"},{"value":"{u2}"}]}]}""", "u1 u2", "u0 u2", "u2", "u0 n|replaced" },
        { "remove-all", "PATCH", $$"""{{{PatchOp}},"Operations":[{"op":"remove","path":"members"}]}""", "", "u0 u1", "", "u0 u1 n|replaced" },
        // A rename: the members' users show its name, so they are bumped; no membership change.
        { "rename", "PATCH", $$"""{{{PatchOp}},"Operations":[{"op":"Replace","path":"displayName","value":"{name} renamed"}]}""", "u0 u1 n", "u0 u1", "", "" },
        // Added and removed again by the same request: no row, the user bumped once by the add (a spare ETag change).
        { "add-then-remove", "PATCH", $$"""{{{PatchOp}},"Operations":[{"op":"add","path":"members","value":[{"value":"{u2}"}]},{"op":"remove","path":"members[value eq \"{u2}\"]"}]}""", "u0 u1 n", "u2", "", "" },
        // Okta's PUT of the whole group: the listed members stay or join, the others leave.
        { "okta-put", "PUT", """{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"{name}","externalId":"ext-put","members":[{"value":"{u0}"},{"value":"{u3}"}]}""", "u0 u3", "u1 u3", "u3", "u1 n|replaced" },
        // Nothing changes: no write, no version change, nobody bumped.
        { "add-existing", "PATCH", $$"""{{{PatchOp}},"Operations":[{"op":"Add","path":"members","value":[{"value":"{u0}"}]}]}""", "u0 u1 n", "", "", "" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Write_AsIdPsSendIt_StoresWhatTheEfPathStored(string name, string method, string template, string members, string bumped, string added, string removed)
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var names = new Dictionary<string, string>();
        var ids = new Dictionary<string, Guid>();
        for (var i = 0; i < 4; i++)
        {
            names[$"u{i}"] = $"gmw.{name}.{i}.{unique}@ides.example";
            ids[$"u{i}"] = Guid.Parse(await client.CreateUserAsync(names[$"u{i}"]));
        }

        names["n"] = $"gmw nested {name} {unique}";
        ids["n"] = Guid.Parse(await client.CreateGroupAsync(names["n"]));
        var groupName = $"gmw {name} {unique}";
        var group = Guid.Parse(await client.CreateGroupAsync(groupName, ids["u0"].ToString(), ids["u1"].ToString(), ids["n"].ToString()));
        var request = ids.Aggregate(template.Replace("{name}", groupName, StringComparison.Ordinal),
            (text, id) => text.Replace("{" + id.Key + "}", id.Value.ToString(), StringComparison.Ordinal));

        factory.Time.Advance(TimeSpan.FromSeconds(5));
        var before = await StateAsync(group, ids.Values);
        var now = Micro(factory.Time.GetUtcNow().UtcDateTime);
        var (response, _) = await client.SendAsync(new HttpMethod(method), $"/scim/v2/Groups/{group}", request);
        var after = await StateAsync(group, ids.Values);

        var changed = name != "add-existing";
        Assert.Equal(method == "PUT" ? HttpStatusCode.OK : HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal($"W/\"{after.Group.Version}\"", response.Headers.ETag!.ToString());

        // The membership rows: the expected members, kept rows as they were, new rows stamped now.
        var expected = members.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToDictionary(k => ids[k]);
        Assert.Equal(expected.Keys.Order(), after.Rows.Select(r => r.MemberId).Order());
        foreach (var row in after.Rows)
        {
            Assert.Equal(expected[row.MemberId] == "n" ? GroupMemberType.Group : GroupMemberType.User, row.MemberType);
            Assert.Equal(before.Group.WorkspaceId, row.WorkspaceId);
            var kept = before.Rows.SingleOrDefault(r => r.MemberId == row.MemberId);
            Assert.Equal(kept?.Created ?? now, row.Created);
        }

        // The group: version + 1 and lastModified now when anything changed (a rename with its normalised name).
        Assert.Equal(before.Group.Version + (changed ? 1 : 0), after.Group.Version);
        Assert.Equal(changed ? now : before.Group.LastModified, after.Group.LastModified);
        Assert.Equal(before.Group.Created, after.Group.Created);
        Assert.Equal(after.Group.DisplayName.ToUpperInvariant(), after.Group.NormalizedDisplayName);
        Assert.Equal(name == "rename" ? groupName + " renamed" : groupName, after.Group.DisplayName);
        Assert.Equal(name == "okta-put" ? "ext-put" : null, after.Group.ExternalId);

        // Exactly the users whose groups changed are bumped (their ETag); the nested group is not.
        var bumpedIds = bumped.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(k => ids[k]).ToHashSet();
        foreach (var (id, was) in before.Versions)
        {
            var (version, lastModified) = after.Versions[id];
            var bump = bumpedIds.Contains(id);
            Assert.True(version == was.Version + (bump ? 1 : 0), $"{ids.Single(i => i.Value == id).Key}: version {was.Version} → {version}");
            Assert.Equal(bump ? now : was.LastModified, lastModified);
        }

        // The provisioning log names the members added and removed (userName of a user, displayName of a group).
        await factory.Services.GetRequiredService<ProvisioningLogWriter>().FlushAsync();
        var logged = await factory.WithDbAsync(db => db.ProvisioningEvents.AsNoTracking()
            .Where(e => e.ResourceId == group.ToString() && e.Operation != ProvisioningOperation.Create).ToListAsync());
        var entry = Assert.Single(logged);
        var story = ProvisioningDetails.Parse(entry.Details)?.Members;
        var removedParts = removed.Split('|');
        Assert.Equal(added.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(k => names[k]), story?.Added ?? []);
        Assert.Equal(removedParts[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(k => names[k]).Order(), (story?.Removed ?? []).Order());
        Assert.Equal(removedParts.Length > 1, story?.Replaced ?? false);
        var onlyMembers = name is not ("rename" or "okta-put") && changed;
        Assert.Equal(onlyMembers ? ProvisioningOperation.MembershipChange : ProvisioningOperation.Update, entry.Operation);
    }

    [Fact]
    public async Task Create_WithMembers_StampsTheGroupRowsAndBumpsTheUsers()
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var user = Guid.Parse(await client.CreateUserAsync($"gmw.create.{unique}@ides.example"));
        var nested = Guid.Parse(await client.CreateGroupAsync($"gmw create nested {unique}"));
        factory.Time.Advance(TimeSpan.FromSeconds(5));
        var now = Micro(factory.Time.GetUtcNow().UtcDateTime);

        var group = Guid.Parse(await client.CreateGroupAsync($"gmw create {unique}", user.ToString(), nested.ToString()));

        var state = await StateAsync(group, [user, nested]);
        Assert.Equal((1L, now, now), (state.Group.Version, state.Group.Created, state.Group.LastModified));
        Assert.Equal($"GMW CREATE {unique.ToUpperInvariant()}", state.Group.NormalizedDisplayName);
        Assert.Equal([(nested, GroupMemberType.Group, now), (user, GroupMemberType.User, now)],
            state.Rows.Select(r => (r.MemberId, r.MemberType, r.Created)).OrderBy(r => r.MemberType == GroupMemberType.User));
        Assert.Equal((2L, now), state.Versions[user]);
    }

    [Fact]
    public async Task Patch_ValidAddThenUnknownId_Is400AndWritesNothing()
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var member = Guid.Parse(await client.CreateUserAsync($"gmw.bad.0.{unique}@ides.example"));
        var newcomer = Guid.Parse(await client.CreateUserAsync($"gmw.bad.1.{unique}@ides.example"));
        var group = Guid.Parse(await client.CreateGroupAsync($"gmw bad {unique}", member.ToString()));
        var before = await StateAsync(group, [member, newcomer]);

        foreach (var bad in new[] { Guid.NewGuid(), group, await AcmeUserAsync(unique) })
        {
            // The valid add runs first (its row pending, the user bumped), then the bad id fails the PATCH: all rolled back.
            var result = await client.PatchJsonAsync($"/scim/v2/Groups/{group}",
                $$"""{{{PatchOp}},"Operations":[{"op":"Remove","path":"members","value":[{"value":"{{member}}"}]},{"op":"Add","path":"members","value":[{"value":"{{newcomer}}"}]},{"op":"Add","path":"members","value":[{"value":"{{bad}}"}]}]}""");
            ScimHttp.AssertError(result, 400, "invalidValue");
            Assert.Equal(before, await StateAsync(group, [member, newcomer]), StateComparer.Instance);
        }
    }

    [Fact]
    public async Task Patch_ConcurrentAddsAndRemovesOfOneGroup_LoseNoMember()
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var leaving = new List<Guid>();
        var joining = new List<Guid>();
        for (var i = 0; i < 12; i++)
        {
            leaving.Add(Guid.Parse(await client.CreateUserAsync($"gmw.par.out.{i}.{unique}@ides.example")));
            joining.Add(Guid.Parse(await client.CreateUserAsync($"gmw.par.in.{i}.{unique}@ides.example")));
        }

        var group = Guid.Parse(await client.CreateGroupAsync($"gmw parallel {unique}", [.. leaving.Select(l => l.ToString())]));
        var before = await StateAsync(group, [.. leaving, .. joining]);

        // Each task its own client (connection); no If-Match: they queue on the write lock (PostgreSQL: the row lock).
        var requests = joining.Select(j => $$"""{{{PatchOp}},"Operations":[{"op":"Add","path":"members","value":[{"value":"{{j}}"}]}]}""")
            .Concat(leaving.Select(l => $$"""{{{PatchOp}},"Operations":[{"op":"remove","path":"members[value eq \"{{l}}\"]"}]}"""));
        var results = await Task.WhenAll(requests.Select(body => Task.Run(() => factory.Scim().PatchJsonAsync($"/scim/v2/Groups/{group}", body))));

        Assert.All(results, r => Assert.Equal(HttpStatusCode.NoContent, r.Response.StatusCode));
        var after = await StateAsync(group, [.. leaving, .. joining]);
        Assert.Equal(joining.Order(), after.Rows.Select(r => r.MemberId).Order());
        Assert.Equal(before.Group.Version + leaving.Count + joining.Count, after.Group.Version);
        Assert.All(leaving.Concat(joining), u => Assert.Equal(before.Versions[u].Version + 1, after.Versions[u].Version));
        Assert.Equal(results.Select(r => r.Response.Headers.ETag!.ToString()).Distinct().Count(), results.Length);
    }

    private async Task<Guid> AcmeUserAsync(string unique)
    {
        var acme = factory.CreateClient();
        acme.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", PortalFactory.AcmeToken);
        return Guid.Parse(await acme.CreateUserAsync($"gmw.acme.{unique}@acme.example"));
    }

    private static DateTime Micro(DateTime time) => time.AddTicks(-(time.Ticks % TimeSpan.TicksPerMicrosecond));

    private sealed record State(WorkspaceGroup Group, List<GroupMembership> Rows, Dictionary<Guid, (long Version, DateTime LastModified)> Versions);

    /// <summary>The group's row, its membership rows and the versions and stamps of the given users and groups, as stored.</summary>
    private Task<State> StateAsync(Guid group, IEnumerable<Guid> resources)
    {
        var ids = resources.ToList();
        return factory.WithDbAsync(async db =>
        {
            var row = await db.Groups.AsNoTracking().SingleAsync(g => g.Id == group);
            var rows = await db.GroupMemberships.AsNoTracking().Where(gm => gm.GroupId == group).ToListAsync();
            var users = await db.Members.AsNoTracking().Where(m => ids.Contains(m.Id)).Select(m => new { m.Id, m.Version, m.LastModified }).ToListAsync();
            var groups = await db.Groups.AsNoTracking().Where(g => ids.Contains(g.Id)).Select(g => new { g.Id, g.Version, g.LastModified }).ToListAsync();
            return new State(row, rows, users.Concat(groups).ToDictionary(r => r.Id, r => (r.Version, r.LastModified)));
        });
    }

    private sealed class StateComparer : IEqualityComparer<State>
    {
        public static StateComparer Instance { get; } = new();

        public bool Equals(State? x, State? y) =>
            x is not null && y is not null
            && (x.Group.Version, x.Group.LastModified, x.Group.DisplayName) == (y.Group.Version, y.Group.LastModified, y.Group.DisplayName)
            && x.Rows.Select(r => (r.MemberId, r.Created)).Order().SequenceEqual(y.Rows.Select(r => (r.MemberId, r.Created)).Order())
            && x.Versions.OrderBy(v => v.Key).SequenceEqual(y.Versions.OrderBy(v => v.Key));

        public int GetHashCode(State obj) => obj.Group.Version.GetHashCode();
    }
}
