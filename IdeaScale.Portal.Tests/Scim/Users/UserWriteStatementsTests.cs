using System.Net;

namespace IdeaScale.Portal.Tests.Scim.Users;

/// <summary>
/// How many SQL statements a user write runs (the load benchmark's provisioning figure): no uniqueness pre-check
/// (the unique index answers a duplicate with 409), no read-back of what was just written, one load for an update.
/// </summary>
public sealed class UserWriteStatementsTests : IClassFixture<ScimFactory>
{
    private const string EntraUser = """
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
         "externalId":"ext-{0}","userName":"{0}@ides.example","active":true,"displayName":"Statement User",
         "name":{"formatted":"Statement User","givenName":"Statement","familyName":"User"},
         "emails":[{"primary":true,"type":"work","value":"{0}@ides.example"}],"title":"Engineer",
         "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","department":"R&D"},
         "meta":{"resourceType":"User"},"roles":[]}
        """;

    private readonly ScimFactory factory;
    private readonly HttpClient client;

    public UserWriteStatementsTests(ScimFactory factory)
    {
        this.factory = factory;
        client = factory.Scim();
    }

    [Fact]
    public async Task CreateUser_EntraShapedBody_RunsOnlyTheInserts()
    {
        await client.CreateUserAsync("warm.up.create@ides.example");

        var ((response, body), sql) = await WriteStatements.CaptureAsync(factory, () => client.PostJsonAsync("/scim/v2/Users", Body("stmt.create")));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("stmt.create@ides.example", body!["emails"]![0]!["value"]!.GetValue<string>());
        WriteStatements.AssertCount(2, sql);
        Assert.All(sql, s => Assert.Contains("INSERT INTO", s, StringComparison.Ordinal));
    }

    [Fact]
    public async Task CreateUser_WithManager_ReadsTheManagerOnceAndAnswersItsDisplayName()
    {
        var manager = await client.CreateUserAsync("stmt.manager@ides.example", "\"displayName\":\"The Manager\"");
        var extension = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        var json = "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"stmt.managed@ides.example\",\""
            + extension + "\":{\"manager\":{\"value\":\"" + manager + "\"}}}";

        var ((response, body), sql) = await WriteStatements.CaptureAsync(factory, () => client.PostJsonAsync("/scim/v2/Users", json));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("The Manager", body![extension]!["manager"]!["displayName"]!.GetValue<string>());
        WriteStatements.AssertCount(2, sql);
        var (_, fetched) = await client.GetJsonAsync($"/scim/v2/Users/{body["id"]}");
        Assert.Equal(body.ToJsonString(), fetched!.ToJsonString());
    }

    /// <summary>
    /// Two round trips on the update's own connection: the load (the user, its values, addresses and groups in one
    /// prepared command; PostgreSQL: the row locked first), then one UPDATE of the changed column with the stamps.
    /// </summary>
    [Fact]
    public async Task PatchUser_ChangedTitle_LoadsOnceAndUpdatesOnlyTheTitle()
    {
        var id = await client.CreateUserAsync("stmt.patch@ides.example", "\"emails\":[{\"value\":\"p@ides.example\",\"primary\":true}],\"addresses\":[{\"locality\":\"Porto\"}]");
        var group = await client.CreateGroupAsync("Statement Patch Group", id);

        var ((response, body), commands) = await CaptureCommandsAsync(() => client.PatchJsonAsync($"/scim/v2/Users/{id}",
            """{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Director"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Director", body!["title"]!.GetValue<string>());
        Assert.Equal("p@ides.example", body["emails"]![0]!["value"]!.GetValue<string>());
        Assert.Equal("Porto", body["addresses"]![0]!["locality"]!.GetValue<string>());
        Assert.Equal(group, body["groups"]![0]!["value"]!.GetValue<string>());
        Assert.True(commands.Count == 2, string.Join("\n---\n", commands));
        Assert.Contains("\"MemberValues\"", commands[0], StringComparison.Ordinal);
        Assert.Contains("\"MemberAddresses\"", commands[0], StringComparison.Ordinal);
        Assert.Contains("\"GroupMemberships\"", commands[0], StringComparison.Ordinal);
        Assert.Equal(WriteStatements.RowLock == 1, commands[0].Contains("FOR UPDATE", StringComparison.Ordinal));
        Assert.Matches("UPDATE \"Members\" SET \"Title\" = [@$]p0, \"Version\" = [@$]p1, \"LastModified\" = [@$]p2 WHERE", commands[1]);
        var (_, fetched) = await client.GetJsonAsync($"/scim/v2/Users/{id}");
        Assert.Equal(body.ToJsonString(), fetched!.ToJsonString());
    }

    [Fact]
    public async Task PatchUser_ExcludedGroups_DoesNotReadGroups()
    {
        var id = await client.CreateUserAsync("stmt.patch.nogroups@ides.example");

        var ((response, body), commands) = await CaptureCommandsAsync(() => client.PatchJsonAsync($"/scim/v2/Users/{id}?excludedAttributes=groups",
            """{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Lead"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(body!.ContainsKey("groups"));
        Assert.True(commands.Count == 2, string.Join("\n---\n", commands));
        Assert.DoesNotContain(commands, c => c.Contains("\"GroupMemberships\"", StringComparison.Ordinal));
    }

    /// <summary>The request's own commands (round trips), without the background writers' (provisioning log, last use).</summary>
    private async Task<(T Result, List<string> Commands)> CaptureCommandsAsync<T>(Func<Task<T>> request)
    {
        var mark = factory.Logs.Lines.Count;
        var result = await request();
        return (result, [.. factory.CommandsSince(mark).Where(c =>
            !c.Contains("\"ProvisioningEvents\"", StringComparison.Ordinal) && !c.Contains("\"ScimCredentials\"", StringComparison.Ordinal))]);
    }

    [Fact]
    public async Task ReplaceUser_RenameToTakenUserName_Returns409WithTheSameDetail()
    {
        await client.CreateUserAsync("stmt.taken@ides.example");
        var id = await client.CreateUserAsync("stmt.renamed@ides.example");

        var result = await client.PutJsonAsync($"/scim/v2/Users/{id}", """{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"STMT.taken@ides.example"}""");

        ScimHttp.AssertError(result, 409, "uniqueness");
        Assert.Equal("A user with userName 'STMT.taken@ides.example' already exists in this workspace.", result.Body!["detail"]!.GetValue<string>());
        var (_, unchanged) = await client.GetJsonAsync($"/scim/v2/Users/{id}");
        Assert.Equal("stmt.renamed@ides.example", unchanged!["userName"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateUser_DuplicateUserName_Returns409AndLogsNoError()
    {
        await client.CreateUserAsync("stmt.duplicate@ides.example");
        var mark = factory.Logs.Lines.Count;

        var result = await client.PostJsonAsync("/scim/v2/Users", Body("STMT.duplicate"));

        ScimHttp.AssertError(result, 409, "uniqueness");
        Assert.DoesNotContain(factory.Logs.Lines.Skip(mark), l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal));
    }

    private static string Body(string name) => EntraUser.Replace("{0}", name, StringComparison.Ordinal);
}
