using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;
using IdeaScale.Portal.Scim.Users;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Scim.Users;

/// <summary>
/// UserReader (the hand-written read of GET /Users/{id} and the userName lookup) must return exactly what the
/// no-tracking EF query returns for the same user: every stored property of the user, its values and its addresses,
/// plus its groups and its manager's name as the general path reads them.
/// </summary>
public sealed class UserReaderTests : IClassFixture<ScimFactory>
{
    private readonly ScimFactory factory;
    private readonly HttpClient client;

    public UserReaderTests(ScimFactory factory)
    {
        this.factory = factory;
        client = factory.Scim();
    }

    [Fact]
    public async Task ByIdAndByUserName_FullyPopulatedUser_ReadWhatEfReads()
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var manager = await client.CreateUserAsync($"reader.manager.{unique}@ides.example", "\"displayName\":\"Reader Manager\"");
        var id = Guid.Parse(await client.CreateUserAsync($"Reader.Full.{unique}@ides.example", $$"""
            "externalId":"ext-{{unique}}","active":false,"password":"Secret-Pass-1!",
            "name":{"formatted":"Ms. Ada B. Lovelace III","familyName":"Lovelace","givenName":"Ada","middleName":"B.","honorificPrefix":"Ms.","honorificSuffix":"III"},
            "displayName":"Ada","nickName":"ada","profileUrl":"https://example.com/ada","title":"Engineer","userType":"Employee",
            "preferredLanguage":"en-GB","locale":"en-GB","timezone":"Europe/London",
            "emails":[{"value":"b@ides.example","type":"home","display":"Home"},{"value":"a@ides.example","type":"work","primary":true}],
            "phoneNumbers":[{"value":"+44 1","type":"mobile"}],"ims":[{"value":"ada","type":"xmpp"}],"photos":[{"value":"https://example.com/a.png","type":"photo"}],
            "entitlements":[{"value":"e1"}],"roles":[{"value":"r1","primary":true}],"x509Certificates":[{"value":"MIIB"}],
            "addresses":[{"type":"work","streetAddress":"1 Road","locality":"London","region":"LDN","postalCode":"N1","country":"GB","formatted":"1 Road, London","primary":true},{"type":"home","locality":"Bath"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"42","costCenter":"CC","organization":"Org","division":"Div","department":"Dep","manager":{"value":"{{manager}}"} },
            "urn:ideascale:params:scim:schemas:extension:2.0:User":{"businessUnit":"BU","location":"LON","jobFunction":"Eng"}
            """));
        await client.CreateGroupAsync($"reader-b-{unique}", id.ToString());
        await client.CreateGroupAsync($"reader-a-{unique}", id.ToString());
        var workspaceId = await factory.WorkspaceIdAsync("ides");
        var all = UserMapper.RowNeeds.For(AttributeSelection.Parse(ScimRegistry.UserType, null, null));

        var (expected, groups) = await factory.WithDbAsync(async db =>
        {
            var member = await db.Members.AsNoTracking().Include(m => m.Values).Include(m => m.Addresses).SingleAsync(m => m.Id == id);
            var groupNames = await db.GroupMemberships.Where(gm => gm.MemberId == id).Join(db.Groups, gm => gm.GroupId, g => g.Id, (gm, g) => g.DisplayName)
                .OrderBy(n => n).ToListAsync();
            return (member, groupNames);
        });
        var byId = await Reader.ByIdAsync(workspaceId, id, all, CancellationToken.None);
        var byUserName = await Reader.ByNormalizedUserNameAsync(workspaceId, expected.NormalizedUserName, all, CancellationToken.None);

        Assert.NotNull(expected.PasswordHash);
        Assert.Equal(8, expected.Values.Count);
        foreach (var read in new[] { byId, byUserName })
        {
            var (member, rows) = Assert.NotNull(read);
            Assert.Equivalent(Shape(expected), Shape(member), strict: true);
            Assert.Equal(groups, rows.Groups.Select(g => g.Display));
            Assert.Equal("Reader Manager", rows.ManagerDisplay);
            Assert.Same(member.Values, rows.Values);
        }
    }

    [Fact]
    public async Task ById_OtherWorkspaceOrUnknown_ReturnsNull()
    {
        var id = Guid.Parse(await client.CreateUserAsync($"reader.isolated.{Guid.NewGuid():N}@ides.example"));
        var acme = await factory.WorkspaceIdAsync("acme");
        var ides = await factory.WorkspaceIdAsync("ides");
        var all = UserMapper.RowNeeds.For(AttributeSelection.Parse(ScimRegistry.UserType, null, null));

        Assert.Null(await Reader.ByIdAsync(acme, id, all, CancellationToken.None));
        Assert.Null(await Reader.ByIdAsync(ides, Guid.NewGuid(), all, CancellationToken.None));
        Assert.NotNull(await Reader.ByIdAsync(ides, id, all, CancellationToken.None));
    }

    [Fact]
    public async Task ById_SelectionWithoutRows_ReadsNoRows()
    {
        var id = Guid.Parse(await client.CreateUserAsync($"reader.lean.{Guid.NewGuid():N}@ides.example", "\"emails\":[{\"value\":\"lean@ides.example\"}]"));
        await client.CreateGroupAsync($"reader-lean-{Guid.NewGuid():N}", id.ToString());
        var ides = await factory.WorkspaceIdAsync("ides");
        var userNameOnly = UserMapper.RowNeeds.For(AttributeSelection.Parse(ScimRegistry.UserType, "userName", null));

        var (member, rows) = Assert.NotNull(await Reader.ByIdAsync(ides, id, userNameOnly, CancellationToken.None));

        Assert.Equal(id, member.Id);
        Assert.Empty(rows.Values);
        Assert.Empty(rows.Groups);
    }

    [Fact]
    public async Task ById_AfterAWriteOnAnotherConnection_ReadsTheWriteOnAReusedSession()
    {
        var id = await client.CreateUserAsync($"reader.fresh.{Guid.NewGuid():N}@ides.example", "\"displayName\":\"Before\"");
        var url = $"/scim/v2/Users/{id}";
        Assert.Equal("Before", (await client.GetJsonAsync(url)).Body!["displayName"]!.GetValue<string>());
        var sessions = factory.Services.GetRequiredService<ReadSessions>();
        var opened = sessions.Opened;

        await client.PatchJsonAsync(url, """{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"After"}]}""");
        var (response, body) = await client.GetJsonAsync(url);

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("After", body!["displayName"]!.GetValue<string>());
        Assert.Equal(opened, sessions.Opened);
    }

    private UserReader Reader => factory.Services.GetRequiredService<UserReader>();

    /// <summary>Every stored property, with the rows in a fixed order (neither path promises one).</summary>
    private static object Shape(WorkspaceMember m) => new
    {
        Member = typeof(WorkspaceMember).GetProperties()
            .Where(p => p.PropertyType.IsValueType || p.PropertyType == typeof(string))
            .ToDictionary(p => p.Name, p => p.GetValue(m)),
        Values = m.Values.OrderBy(v => v.Id).ToList(),
        Addresses = m.Addresses.OrderBy(a => a.Id).ToList(),
    };
}
