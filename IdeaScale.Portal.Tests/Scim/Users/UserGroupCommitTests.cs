using System.Net;
using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;
using IdeaScale.Portal.Scim.Users;
using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Scim.Users;

/// <summary>
/// Issue 14: concurrent creates are written by group commit (<see cref="UserWriter"/>): the users that queue while a
/// batch runs are written together in one transaction, each in its own savepoint, and committed once. The app on
/// Kestrel over a real SQLite file (or PostgreSQL database). To make a batch form deterministically, a
/// <see cref="WriteBlocker"/> holds the first batch (another connection's transaction: on SQLite it holds the write
/// lock, on PostgreSQL an uncommitted row with the first user's userName), and the next callers are queued one by one
/// before it lets go.
/// </summary>
public sealed class UserGroupCommitTests(KestrelScimFactory factory) : IClassFixture<KestrelScimFactory>
{
    private UserWriter Writer
    {
        get
        {
            factory.Scim().Dispose(); // the server (and so Services) is Kestrel's, whatever runs first
            return factory.Services.GetRequiredService<UserWriter>();
        }
    }

    [Fact]
    public async Task CreateUser_ManyConcurrentClients_AllCommittedWithTheirRows()
    {
        using var client = factory.Scim();
        var unique = Guid.NewGuid().ToString("N")[..8];
        var names = Enumerable.Range(0, 48).Select(i => $"many.{unique}.{i}@ides.example").ToList();

        var results = await Task.WhenAll(names.Select(name => client.PostJsonAsync("/scim/v2/Users", Body(name))));

        Assert.All(results, r => Assert.True(r.Response.StatusCode == HttpStatusCode.Created, $"{(int)r.Response.StatusCode}: {r.Body?.ToJsonString()}"));
        foreach (var (name, (_, created)) in names.Zip(results))
        {
            var (response, stored) = await client.GetJsonAsync($"/scim/v2/Users/{created!["id"]!.GetValue<string>()}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(name, stored!["userName"]!.GetValue<string>());
            Assert.Equal(["work." + name, "home." + name], stored["emails"]!.AsArray().Select(e => e!["value"]!.GetValue<string>()));
            Assert.Equal(name, stored["addresses"]![0]!["streetAddress"]!.GetValue<string>());
        }

        var (members, values, addresses) = await factory.WithDbAsync(async db => (
            await db.Members.CountAsync(m => m.UserName.StartsWith($"many.{unique}.")),
            await db.MemberValues.CountAsync(v => db.Members.Any(m => m.Id == v.MemberId && m.UserName.StartsWith($"many.{unique}."))),
            await db.MemberAddresses.CountAsync(a => db.Members.Any(m => m.Id == a.MemberId && m.UserName.StartsWith($"many.{unique}.")))));
        Assert.Equal(48, members);
        Assert.Equal(96, values);
        Assert.Equal(48, addresses);
    }

    [Fact]
    public async Task CreateUser_DuplicateUserNameInOneBatch_OneCreatedOneConflictAndTheOthersCommitted()
    {
        using var client = factory.Scim();
        var writer = Writer;
        var unique = Guid.NewGuid().ToString("N")[..8];
        var first = $"first.{unique}@ides.example";
        string[] names = [$"a.{unique}@ides.example", $"dup.{unique}@ides.example", $"b.{unique}@ides.example", $"DUP.{unique}@IDES.example", $"c.{unique}@ides.example"];
        var batchesBefore = writer.Batches;
        Task<(HttpResponseMessage Response, JsonObject? Body)> leader;
        var queued = new List<Task<(HttpResponseMessage Response, JsonObject? Body)>>();
        await using (await WriteBlocker.HoldAsync(factory.Services, first))
        {
            leader = client.PostJsonAsync("/scim/v2/Users", Body(first));
            await WriteBlocker.UntilLeaderIsHeldAsync(writer);
            foreach (var name in names)
            {
                queued.Add(client.PostJsonAsync("/scim/v2/Users", Body(name)));
                await WriteBlocker.UntilAsync(() => writer.Waiting == WriteBlocker.LeaderWaiting + queued.Count);
            }
        }

        Assert.Equal(HttpStatusCode.Created, (await leader).Response.StatusCode);
        var results = await Task.WhenAll(queued);
        Assert.Equal([201, 201, 201, 409, 201], results.Select(r => (int)r.Response.StatusCode));
        ScimHttp.AssertError(results[3], 409, "uniqueness");
        // The five queued users were one batch: one commit for them (on SQLite the held leader took them into its own).
        Assert.Equal(PortalFactory.Provider == DatabaseProvider.PostgreSql ? 2 : 1, writer.Batches - batchesBefore);
        var stored = await factory.WithDbAsync(db => db.Members.Where(m => m.UserName.Contains(unique)).Select(m => m.UserName).ToListAsync());
        Assert.Equal(new[] { first, names[0], names[1], names[2], names[4] }.Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));
        var (_, dup) = await client.GetJsonAsync($"/scim/v2/Users/{results[1].Body!["id"]!.GetValue<string>()}");
        Assert.Equal(["work." + names[1], "home." + names[1]], dup!["emails"]!.AsArray().Select(e => e!["value"]!.GetValue<string>()));
    }

    [Fact]
    public async Task InsertAsync_CallersCancelledWhileTheirBatchWaits_TheOthersCommit()
    {
        var writer = Writer;
        var workspaceId = await factory.WithDbAsync(db => db.Workspaces.Where(w => w.Slug == "ides").Select(w => w.Id).SingleAsync());
        var unique = Guid.NewGuid().ToString("N")[..8];
        var leaderUser = await MapAsync($"lead.{unique}@ides.example", workspaceId);
        var a = await MapAsync($"a.{unique}@ides.example", workspaceId);
        var gone = await MapAsync($"gone.{unique}@ides.example", workspaceId);
        var b = await MapAsync($"b.{unique}@ides.example", workspaceId);
        Task written;
        Task leader;
        Task others;
        await using (await WriteBlocker.HoldAsync(factory.Services, leaderUser.UserName))
        {
            using var leaderCancel = new CancellationTokenSource();
            using var goneCancel = new CancellationTokenSource();
            // On a pool thread: on SQLite the leader waits for the write lock inside BEGIN IMMEDIATE, synchronously.
            leader = Task.Run(() => writer.InsertAsync(leaderUser, "taken", leaderCancel.Token));
            await WriteBlocker.UntilLeaderIsHeldAsync(writer);
            written = writer.InsertAsync(a, "taken", CancellationToken.None);
            await WriteBlocker.UntilAsync(() => writer.Waiting == WriteBlocker.LeaderWaiting + 1);
            var cancelled = writer.InsertAsync(gone, "taken", goneCancel.Token);
            await WriteBlocker.UntilAsync(() => writer.Waiting == WriteBlocker.LeaderWaiting + 2);
            others = writer.InsertAsync(b, "taken", CancellationToken.None);
            await WriteBlocker.UntilAsync(() => writer.Waiting == WriteBlocker.LeaderWaiting + 3);

            goneCancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            Assert.Equal(WriteBlocker.LeaderWaiting + 2, writer.Waiting);
            // The leader's own caller gives up too: the batch it leads still runs for the others.
            leaderCancel.Cancel();
        }

        await written;
        await others;
        var leaderWritten = await Task.WhenAny(leader) is { IsCompletedSuccessfully: true };
        if (!leaderWritten)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leader);
        }

        // SQLite: the leader waited for the write lock with its user still queued, so the batch skipped it; PostgreSQL:
        // its insert was already running (held by the blocker's row), so it was written.
        Assert.Equal(PortalFactory.Provider == DatabaseProvider.PostgreSql, leaderWritten);
        var stored = await factory.WithDbAsync(db => db.Members.Where(m => m.UserName.Contains(unique)).Select(m => m.UserName).ToListAsync());
        Assert.Equal(
            new[] { a.UserName, b.UserName }.Concat(leaderWritten ? [leaderUser.UserName] : []).Order(StringComparer.Ordinal),
            stored.Order(StringComparer.Ordinal));
        Assert.Equal(0, await factory.WithDbAsync(db => db.MemberValues.CountAsync(v => v.MemberId == gone.Id)));
    }

    private static string Body(string userName) => $$"""
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{{userName}}",
         "emails":[{"value":"work.{{userName}}","type":"work","primary":true},{"value":"home.{{userName}}","type":"home"}],
         "addresses":[{"type":"work","streetAddress":"{{userName}}"}]}
        """;

    private Task<WorkspaceMember> MapAsync(string userName, Guid workspaceId) => factory.WithDbAsync(async db =>
    {
        var body = ScimValues.Canonicalize(JsonNode.Parse(Body(userName))!.AsObject(), ScimRegistry.UserType);
        var member = new WorkspaceMember { WorkspaceId = workspaceId, UserName = "" };
        await new UserMapper(db).WriteAsync(body, member, workspaceId, CancellationToken.None);
        return member;
    });
}

/// <summary>
/// Holds <see cref="UserWriter"/>'s next batch from another connection: a transaction that inserted a user with the
/// leader's userName and is rolled back on dispose. On SQLite it holds the write lock, so the leader waits in BEGIN
/// IMMEDIATE with its user still queued; on PostgreSQL the leader has taken its user and its INSERT waits for the
/// uncommitted row of the same userName. Either way the callers queued meanwhile form the next batch.
/// </summary>
internal sealed class WriteBlocker(AsyncServiceScope scope, IDbContextTransaction transaction) : IAsyncDisposable
{
    /// <summary>Users still queued while the held leader waits: its own on SQLite, none on PostgreSQL.</summary>
    public static int LeaderWaiting => PortalFactory.Provider == DatabaseProvider.PostgreSql ? 0 : 1;

    public static async Task<WriteBlocker> HoldAsync(IServiceProvider services, string userName)
    {
        var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var workspaceId = await db.Workspaces.Where(w => w.Slug == "ides").Select(w => w.Id).SingleAsync();
        var transaction = await db.Database.BeginTransactionAsync();
        db.Members.Add(new WorkspaceMember { WorkspaceId = workspaceId, UserName = userName });
        await db.SaveChangesAsync();
        return new WriteBlocker(scope, transaction);
    }

    /// <summary>Until the leader's batch is held by the blocker (see <see cref="LeaderWaiting"/>).</summary>
    public static Task UntilLeaderIsHeldAsync(UserWriter writer) => UntilAsync(() => writer.Leading && writer.Waiting == LeaderWaiting);

    /// <summary>Polls until the condition holds (what the callers on other threads reached); fails after a minute, never waits less.</summary>
    public static async Task UntilAsync(Func<bool> condition)
    {
        for (var tries = 0; !condition(); tries++)
        {
            Assert.True(tries < 6000, "The writer did not reach the expected state.");
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await transaction.RollbackAsync();
        await transaction.DisposeAsync();
        await scope.DisposeAsync();
    }
}
