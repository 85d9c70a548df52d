using System.Data.Common;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Scim.Patching;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;
using IdeaScale.Portal.Scim.Users;

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Scim.Users;

/// <summary>
/// PUT and PATCH of users write through the prepared <see cref="UserWriter"/> (only the changed columns and rows, on a
/// long-lived connection). Each case runs the general path first: EF Core change tracking on the same user (load
/// tracked, apply, <see cref="UserMapper.WriteAsync"/>, SaveChanges, as UserResource did before), in a transaction that
/// is then rolled back; then the same request over HTTP. The stored rows (raw, column by column), the version, the
/// answer's body and the provisioning log row must be the ones the general path gave. The only difference by design:
/// a change of value or address rows alone is a change of the user (new version, new ETag), which EF's change tracker
/// did not see (the user's own row was unchanged); the general path here marks it as the writer does.
/// </summary>
public sealed class UserUpdateWriterTests(ScimFactory factory) : IClassFixture<ScimFactory>
{
    private readonly HttpClient client = factory.Scim();

    /// <summary>A user as Entra creates it: two emails, a phone, an address, a manager, inactive.</summary>
    private static string CreateBody(string userName, string managerId) => """
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
         "userName":"{0}","externalId":"ext-{0}","active":false,
         "name":{"familyName":"Lovelace","givenName":"Ada"},"displayName":"Ada {0}","title":"Engineer",
         "emails":[{"value":"home.{0}","type":"home"},{"value":"work.{0}","type":"work","primary":true}],
         "phoneNumbers":[{"value":"+44 1","type":"mobile"}],
         "addresses":[{"type":"work","locality":"London","country":"GB","primary":true}],
         "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Dep","manager":{"value":"{1}"}}}
        """.Replace("{0}", userName, StringComparison.Ordinal).Replace("{1}", managerId, StringComparison.Ordinal);

    /// <summary>The request bodies: Entra's PATCH forms and Okta's full PUT ({0}: the user's name, {1}: the other manager's id).</summary>
    public static TheoryData<string, string, string> Cases => new()
    {
        // Entra's default form: capitalised ops, one per attribute, active as a string.
        { "entra-default", "PATCH", """
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
             {"op":"Replace","path":"title","value":"Principal"},
             {"op":"Add","path":"emails[type eq \"work\"].value","value":"new.work.{0}"},
             {"op":"Replace","path":"active","value":"True"}]}
            """ },
        { "entra-deactivate", "PATCH", """
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"},{"op":"Replace","path":"displayName","value":"Gone {0}"}]}
            """ },
        // The enterprise manager as a bare id, and a removed name part.
        { "entra-manager", "PATCH", """
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
             {"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"{1}"},
             {"op":"Remove","path":"name.givenName"}]}
            """ },
        // No path: the value's attributes are replaced (Entra's reactivation).
        { "entra-no-path-active", "PATCH", """
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","value":{"active":"True","nickName":"ada"}}]}
            """ },
        // Rows only: one email removed, a phone added; the user's own columns stay.
        { "rows-only", "PATCH", """
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
             {"op":"Remove","path":"emails[type eq \"home\"]"},
             {"op":"Add","path":"phoneNumbers","value":[{"value":"+44 2","type":"work"}]}]}
            """ },
        // Okta: the full user, as application/json; the address and the manager dropped, a new userName case.
        { "okta-put", "PUT", """
            {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{0}","externalId":"okta-{0}",
             "name":{"givenName":"Ada","familyName":"King"},"displayName":"Ada King","active":true,"password":"Okta-Pass-1!",
             "emails":[{"primary":true,"value":"work.{0}","type":"work"}],
             "phoneNumbers":[{"value":"+44 9","type":"mobile"},{"value":"+44 8","type":"work"}],"locale":"en-GB"}
            """ },
        // Nothing changes: nothing written, the version stays.
        { "no-change", "PATCH", """
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"title","value":"Engineer"}]}
            """ },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Update_ThroughTheWriter_EqualsTheGeneralPath(string name, string method, string template)
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var userName = $"upd.{name}.{unique}@ides.example";
        var firstManager = await client.CreateUserAsync($"upd.m1.{unique}@ides.example", "\"displayName\":\"First Manager\"");
        var otherManager = await client.CreateUserAsync($"upd.m2.{unique}@ides.example", "\"displayName\":\"Other Manager\"");
        var (created, createdBody) = await client.PostJsonAsync("/scim/v2/Users", CreateBody(userName, firstManager));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = createdBody!["id"]!.GetValue<string>();
        await client.CreateGroupAsync($"Upd group {unique}", id);
        var request = template.Replace("{0}", userName, StringComparison.Ordinal).Replace("{1}", otherManager, StringComparison.Ordinal);

        var loadedVersion = await factory.WithDbAsync(db => db.Members.Where(m => m.Id == Guid.Parse(id)).Select(m => m.Version).SingleAsync());
        var general = await GeneralPathAsync(Guid.Parse(id), method, request);

        var (response, body) = await client.SendAsync(new HttpMethod(method), $"/scim/v2/Users/{id}", request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await factory.WithDbAsync(async db =>
        {
            await db.Database.OpenConnectionAsync();
            return await RawAsync(db.Database.GetDbConnection(), null, Guid.Parse(id));
        });
        Assert.Equal(general.Rows.Count, stored.Count);
        for (var i = 0; i < general.Rows.Count; i++)
        {
            Assert.Equal(general.Rows[i], stored[i]);
        }

        var version = await factory.WithDbAsync(db => db.Members.Where(m => m.Id == Guid.Parse(id)).Select(m => m.Version).SingleAsync());
        Assert.Equal(general.Version, version);
        Assert.Equal(name == "no-change" ? loadedVersion : loadedVersion + 1, version);
        Assert.Equal($"W/\"{general.Version}\"", response.Headers.ETag!.ToString());
        Assert.Equal(WithoutLastModified(general.Body).ToJsonString(), WithoutLastModified(body!).ToJsonString());

        await factory.Services.GetRequiredService<ProvisioningLogWriter>().FlushAsync();
        var logged = await factory.WithDbAsync(db => db.ProvisioningEvents.AsNoTracking()
            .Where(e => e.ResourceId == id && e.Operation != ProvisioningOperation.Create).OrderBy(e => e.Id).ToListAsync());
        var row = Assert.Single(logged);
        Assert.Equal(general.Operation, row.Operation);
        Assert.Equal(general.Summary, row.Summary);
        Assert.Equal(userName, row.Subject);
        Assert.Equal(JsonSerializer.Serialize(general.Changes), JsonSerializer.Serialize(ProvisioningDetails.Parse(row.Details)?.Changes ?? []));
    }

    [Fact]
    public async Task Put_RenameToTakenUserName_Is409AndWritesNothing()
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        await client.CreateUserAsync($"upd.taken.{unique}@ides.example");
        var id = await client.CreateUserAsync($"upd.rename.{unique}@ides.example", "\"title\":\"Kept\",\"emails\":[{\"value\":\"kept@ides.example\"}]");
        var before = await factory.WithDbAsync(async db =>
        {
            await db.Database.OpenConnectionAsync();
            return await RawAsync(db.Database.GetDbConnection(), null, Guid.Parse(id), withStamps: true);
        });

        var result = await client.PutJsonAsync($"/scim/v2/Users/{id}",
            $$"""{"userName":"UPD.Taken.{{unique}}@ides.example","title":"Changed","emails":[{"value":"changed@ides.example"},{"value":"added@ides.example"}]}""");

        ScimHttp.AssertError(result, 409, "uniqueness");
        var after = await factory.WithDbAsync(async db =>
        {
            await db.Database.OpenConnectionAsync();
            return await RawAsync(db.Database.GetDbConnection(), null, Guid.Parse(id), withStamps: true);
        });
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Patch_StaleIfMatch_Is412AndWritesNothing()
    {
        var id = await client.CreateUserAsync($"upd.ifmatch.{Guid.NewGuid():N}@ides.example", "\"title\":\"First\"");
        await client.PatchJsonAsync($"/scim/v2/Users/{id}", """{"Operations":[{"op":"Replace","path":"title","value":"Second"}]}""");

        var stale = await client.SendAsync(HttpMethod.Patch, $"/scim/v2/Users/{id}",
            """{"Operations":[{"op":"Replace","path":"title","value":"Lost"}]}""", r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"1\""));
        var current = await client.SendAsync(HttpMethod.Patch, $"/scim/v2/Users/{id}",
            """{"Operations":[{"op":"Replace","path":"nickName","value":"kept"}]}""", r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"2\""));

        ScimHttp.AssertError(stale, 412);
        Assert.Equal(HttpStatusCode.OK, current.Response.StatusCode);
        Assert.Equal("Second", current.Body!["title"]!.GetValue<string>());
        Assert.Equal("kept", current.Body["nickName"]!.GetValue<string>());
        Assert.Equal("W/\"3\"", current.Response.Headers.ETag!.ToString());
    }

    [Fact]
    public async Task Patch_ConcurrentWritersOfOneUser_KeepEveryChange()
    {
        var id = await client.CreateUserAsync($"upd.concurrent.{Guid.NewGuid():N}@ides.example");
        var attributes = new[] { "title", "nickName", "displayName", "userType", "locale", "timezone", "profileUrl", "preferredLanguage" };

        var results = await Task.WhenAll(attributes.Select(a => factory.Scim().PatchJsonAsync($"/scim/v2/Users/{id}",
            $$"""{"Operations":[{"op":"Replace","path":"{{a}}","value":"v-{{a}}"}]}""")));

        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Response.StatusCode));
        var (_, user) = await client.GetJsonAsync($"/scim/v2/Users/{id}");
        Assert.All(attributes, a => Assert.Equal($"v-{a}", user![a]!.GetValue<string>()));
        Assert.Equal($"W/\"{1 + attributes.Length}\"", user!["meta"]!["version"]!.GetValue<string>());
    }

    private sealed record General(List<string> Rows, long Version, JsonObject Body, ProvisioningOperation Operation, string Summary, List<AttributeChange> Changes);

    /// <summary>
    /// The general path (UserResource before the writer): the user tracked with its rows, the change applied to its
    /// representation, written back by the mapper, saved by EF Core, rendered and described as ResourceEndpoints does;
    /// then rolled back.
    /// </summary>
    private async Task<General> GeneralPathAsync(Guid id, string method, string request)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        await ScimQueries.LockForUpdateAsync<WorkspaceMember>(db, id, CancellationToken.None);
        var member = await db.Members.Include(m => m.Values).Include(m => m.Addresses).SingleAsync(m => m.Id == id);
        var current = UserMapper.ToJson(member, new UserRows(member.Values, member.Addresses, [], null), ScimFactory.IdesBase);
        var before = (JsonObject)current.DeepClone();
        JsonObject result;
        if (method == "PUT")
        {
            result = ScimValues.Canonicalize(JsonNode.Parse(request)!.AsObject(), ScimRegistry.UserType);
        }
        else
        {
            var patch = JsonSerializer.Deserialize<PatchRequest>(request, ScimJson.Options)!;
            new PatchEngine(ScimRegistry.UserType).Apply(current, id.ToString(), patch.Operations);
            result = current;
        }

        var wasActive = member.Active;
        var mapper = new UserMapper(db);
        await mapper.WriteAsync(result, member, member.WorkspaceId, CancellationToken.None);
        db.ChangeTracker.DetectChanges();
        if (db.ChangeTracker.HasChanges() && db.Entry(member).State == EntityState.Unchanged)
        {
            db.Entry(member).Property(m => m.LastModified).IsModified = true;
        }

        await db.SaveChangesAsync();
        var rows = await RawAsync(db.Database.GetDbConnection(), transaction.GetDbTransaction(), id);
        var changes = ResourceDiff.Compare(ScimRegistry.UserType, before, UserMapper.ToJson(member, new UserRows(member.Values, member.Addresses, [], null), ScimFactory.IdesBase))
            .Concat(ResourceDiff.SecretsIn(ScimRegistry.UserType, result)).ToList();
        var groups = await db.GroupMemberships.Where(gm => gm.MemberId == id).Join(db.Groups, gm => gm.GroupId, g => g.Id, (gm, g) => g)
            .OrderBy(g => g.DisplayName).Select(g => new { g.Id, g.DisplayName }).ToListAsync();
        var body = UserMapper.ToJson(member, new UserRows(member.Values, member.Addresses, [.. groups.Select(g => (g.Id, g.DisplayName))], mapper.ManagerDisplay), ScimFactory.IdesBase);
        var operation = (wasActive, member.Active) switch
        {
            (true, false) => ProvisioningOperation.Deactivate,
            (false, true) => ProvisioningOperation.Reactivate,
            _ => ProvisioningOperation.Update,
        };
        var verb = operation switch
        {
            ProvisioningOperation.Deactivate => "deactivated",
            ProvisioningOperation.Reactivate => "reactivated",
            _ => method == "PUT" ? "replaced" : "updated",
        };
        var summary = ProvisioningStory.Updated(verb, "user", member.UserName, changes);
        await transaction.RollbackAsync();
        return new General(rows, member.Version, body, operation, summary, changes);
    }

    private static JsonObject WithoutLastModified(JsonObject resource)
    {
        var copy = (JsonObject)resource.DeepClone();
        ((JsonObject)copy["meta"]!).Remove("lastModified");
        return copy;
    }

    /// <summary>
    /// The user's row and its rows as stored, each as "column=value" in column order, rows by kind and position,
    /// without what differs by design: the rows' generated ids, the password hash's salt and (unless asked) the time
    /// of the write.
    /// </summary>
    private static async Task<List<string>> RawAsync(DbConnection connection, DbTransaction? transaction, Guid id, bool withStamps = false)
    {
        var ignored = new HashSet<string>(StringComparer.Ordinal) { "PasswordHash" };
        if (!withStamps)
        {
            ignored.Add("LastModified");
        }

        var rows = new List<string>();
        foreach (var (sql, table) in new[]
        {
            ("SELECT * FROM \"Members\" WHERE \"Id\" = @u", "member"),
            ("SELECT * FROM \"MemberValues\" WHERE \"MemberId\" = @u ORDER BY \"Kind\", \"Ordinal\"", "value"),
            ("SELECT * FROM \"MemberAddresses\" WHERE \"MemberId\" = @u ORDER BY \"Ordinal\"", "address"),
        })
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Transaction = transaction;
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@u";
            parameter.Value = WriteStatements.RowLock == 1 ? id : id.ToString().ToUpperInvariant(); // SQLite stores a Guid as upper-case text
            command.Parameters.Add(parameter);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(table + ": " + string.Join("; ", Enumerable.Range(0, reader.FieldCount)
                    .Where(i => !ignored.Contains(reader.GetName(i)) && !(table != "member" && !withStamps && reader.GetName(i) == "Id"))
                    .Select(i => $"{reader.GetName(i)}={(reader.IsDBNull(i) ? "NULL" : $"{reader.GetValue(i).GetType().Name}:{reader.GetValue(i)}")}")));
            }
        }

        return rows;
    }
}
