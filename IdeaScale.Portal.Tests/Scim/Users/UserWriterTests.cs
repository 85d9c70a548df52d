using System.Data.Common;
using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;
using IdeaScale.Portal.Scim.Users;
using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IdeaScale.Portal.Tests.Scim.Users;

/// <summary>
/// UserWriter (the prepared insert of POST /Users) must store exactly what EF Core's SaveChanges stores for the same
/// mapped user: every column of the user, its value rows and its address rows, as the database holds them (compared
/// raw, so a Guid's or a time's stored form counts), with the audit stamps the interceptor sets on insert.
/// </summary>
public sealed class UserWriterTests(ScimFactory factory) : IClassFixture<ScimFactory>
{
    private const string Body = """
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
         "userName":"{0}","externalId":"ext-{0}","active":false,"password":"Secret-Pass-1!",
         "name":{"formatted":"Ms. Ada B. Lovelace III","familyName":"Lovelace","givenName":"Ada","middleName":"B.","honorificPrefix":"Ms.","honorificSuffix":"III"},
         "displayName":"Ada","nickName":"ada","profileUrl":"https://example.com/ada","title":"Engineer","userType":"Employee",
         "preferredLanguage":"en-GB","locale":"en-GB","timezone":"Europe/London",
         "emails":[{"value":"b@ides.example","type":"home","display":"Home"},{"value":"a@ides.example","type":"work","primary":true}],
         "phoneNumbers":[{"value":"+44 1","type":"mobile"}],"ims":[{"value":"ada","type":"xmpp"}],"photos":[{"value":"https://example.com/a.png","type":"photo"}],
         "entitlements":[{"value":"e1"}],"roles":[{"value":"r1","primary":true}],"x509Certificates":[{"value":"MIIB"}],
         "addresses":[{"type":"work","streetAddress":"1 Road","locality":"London","region":"LDN","postalCode":"N1","country":"GB","formatted":"1 Road, London","primary":true},{"type":"home","locality":"Bath"}],
         "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"42","costCenter":"CC","organization":"Org","division":"Div","department":"Dep","manager":{"value":"not-an-id"}}}
        """;

    [Fact]
    public async Task InsertAsync_FullyPopulatedUser_StoresWhatSaveChangesStores()
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var workspaceId = await factory.WorkspaceIdAsync("ides");
        var viaWriter = await MapAsync($"writer.prepared.{unique}@ides.example", workspaceId);
        var viaEf = await MapAsync($"writer.ef.{unique}@ides.example", workspaceId);

        await factory.WithDbAsync(async db =>
        {
            db.Members.Add(viaEf);
            return await db.SaveChangesAsync();
        });
        // The writer stamps from its TimeProvider as the interceptor does: at the same instant, the stored rows must match.
        var writer = new UserWriter(
            factory.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>(), factory.Services.GetRequiredService<ReadSessions>(),
            new FakeTimeProvider(new DateTimeOffset(viaEf.Created, TimeSpan.Zero).AddTicks(3)));
        await writer.InsertAsync(viaWriter, "duplicate", CancellationToken.None);

        var (writerRows, efRows) = await factory.WithDbAsync(async db =>
        {
            var connection = db.Database.GetDbConnection();
            await db.Database.OpenConnectionAsync();
            return (await RawAsync(connection, viaWriter.UserName), await RawAsync(connection, viaEf.UserName));
        });
        Assert.Equal(1 + 8 + 2, writerRows.Count);
        Assert.Equal(efRows.Count, writerRows.Count);
        for (var i = 0; i < efRows.Count; i++)
        {
            Assert.Equal(efRows[i], writerRows[i]);
        }

        Assert.Equal(viaEf.Version, viaWriter.Version);
        Assert.Equal(viaEf.Created, viaWriter.Created);
    }

    [Fact]
    public async Task InsertAsync_UsersWrittenInOneBatch_EachStoresWhatSaveChangesStores()
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var workspaceId = await factory.WorkspaceIdAsync("ides");
        var viaWriter = new List<WorkspaceMember>();
        var viaEf = new List<WorkspaceMember>();
        for (var i = 0; i < 3; i++)
        {
            viaWriter.Add(await MapAsync($"batch{i}.prepared.{unique}@ides.example", workspaceId));
            viaEf.Add(await MapAsync($"batch{i}.ef.{unique}@ides.example", workspaceId));
        }

        await factory.WithDbAsync(async db =>
        {
            db.Members.AddRange(viaEf);
            return await db.SaveChangesAsync();
        });
        var writer = new UserWriter(
            factory.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>(), factory.Services.GetRequiredService<ReadSessions>(),
            new FakeTimeProvider(new DateTimeOffset(viaEf[0].Created, TimeSpan.Zero).AddTicks(3)));
        var inserts = new List<Task>();
        await using (await WriteBlocker.HoldAsync(factory.Services, viaWriter[0].UserName))
        {
            // On a pool thread: on SQLite the leader waits for the write lock inside BEGIN IMMEDIATE, synchronously.
            inserts.Add(Task.Run(() => writer.InsertAsync(viaWriter[0], "duplicate", CancellationToken.None)));
            await WriteBlocker.UntilLeaderIsHeldAsync(writer);
            foreach (var user in viaWriter.Skip(1))
            {
                inserts.Add(writer.InsertAsync(user, "duplicate", CancellationToken.None));
                await WriteBlocker.UntilAsync(() => writer.Waiting == WriteBlocker.LeaderWaiting + inserts.Count - 1);
            }
        }

        await Task.WhenAll(inserts);

        // Held, the leader's batch took the two users queued behind it (SQLite) or they formed the next one (PostgreSQL).
        Assert.Equal(PortalFactory.Provider == DatabaseProvider.PostgreSql ? 2 : 1, writer.Batches);
        for (var i = 0; i < 3; i++)
        {
            var (writerRows, efRows) = await factory.WithDbAsync(async db =>
            {
                var connection = db.Database.GetDbConnection();
                await db.Database.OpenConnectionAsync();
                return (await RawAsync(connection, viaWriter[i].UserName), await RawAsync(connection, viaEf[i].UserName));
            });
            Assert.Equal(1 + 8 + 2, writerRows.Count);
            Assert.Equal(efRows, writerRows);
        }
    }

    [Fact]
    public async Task InsertAsync_UserNameTakenInAnotherCase_IsUniquenessAndWritesNoRows()
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var workspaceId = await factory.WorkspaceIdAsync("ides");
        await Writer.InsertAsync(await MapAsync($"writer.taken.{unique}@ides.example", workspaceId), "taken", CancellationToken.None);
        var duplicate = await MapAsync($"WRITER.Taken.{unique}@ides.example", workspaceId);

        var error = await Assert.ThrowsAsync<ScimException>(() => Writer.InsertAsync(duplicate, "taken", CancellationToken.None));

        Assert.Equal(ScimErrorType.Uniqueness, error.ScimType);
        var (members, values) = await factory.WithDbAsync(async db =>
            (await db.Members.CountAsync(m => m.Id == duplicate.Id), await db.MemberValues.CountAsync(v => v.MemberId == duplicate.Id)));
        Assert.Equal(0, members);
        Assert.Equal(0, values);
    }

    private UserWriter Writer => factory.Services.GetRequiredService<UserWriter>();

    /// <summary>The user as POST maps it (the attribute registry through <see cref="UserMapper"/>), not yet stored.</summary>
    private Task<WorkspaceMember> MapAsync(string userName, Guid workspaceId) => factory.WithDbAsync(async db =>
    {
        var body = ScimValues.Canonicalize(JsonNode.Parse(Body.Replace("{0}", userName, StringComparison.Ordinal))!.AsObject(), ScimRegistry.UserType);
        var member = new WorkspaceMember { WorkspaceId = workspaceId, UserName = "" };
        await new UserMapper(db).WriteAsync(body, member, workspaceId, CancellationToken.None);
        return member;
    });

    /// <summary>
    /// The user's row and its rows as stored, each as "column=value" in column order, without what differs by design
    /// (the ids, the userName and what is derived from it, the password hash's salt).
    /// </summary>
    private static async Task<List<string>> RawAsync(DbConnection connection, string userName)
    {
        var ignored = new HashSet<string>(StringComparer.Ordinal) { "Id", "MemberId", "UserName", "NormalizedUserName", "ExternalId", "PasswordHash" };
        var rows = new List<string>();
        foreach (var sql in new[]
        {
            "SELECT * FROM \"Members\" WHERE \"UserName\" = @u",
            "SELECT v.* FROM \"MemberValues\" AS v JOIN \"Members\" AS m ON m.\"Id\" = v.\"MemberId\" WHERE m.\"UserName\" = @u ORDER BY v.\"Kind\", v.\"Ordinal\"",
            "SELECT a.* FROM \"MemberAddresses\" AS a JOIN \"Members\" AS m ON m.\"Id\" = a.\"MemberId\" WHERE m.\"UserName\" = @u ORDER BY a.\"Ordinal\"",
        })
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@u";
            parameter.Value = userName;
            command.Parameters.Add(parameter);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(string.Join("; ", Enumerable.Range(0, reader.FieldCount)
                    .Where(i => !ignored.Contains(reader.GetName(i)))
                    .Select(i => $"{reader.GetName(i)}={(reader.IsDBNull(i) ? "NULL" : $"{reader.GetValue(i).GetType().Name}:{reader.GetValue(i)}")}")));
            }
        }

        return rows;
    }
}
