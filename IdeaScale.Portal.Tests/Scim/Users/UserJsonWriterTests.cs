using System.Text;
using System.Text.Json;

using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;
using IdeaScale.Portal.Scim.Users;

namespace IdeaScale.Portal.Tests.Scim.Users;

/// <summary>
/// Responses are written straight to JSON (issue 6); the JSON tree of UserMapper.ToJson stays the representation
/// PATCH works on. Both must give the same bytes for every shape of user and every attribute selection.
/// </summary>
public sealed class UserJsonWriterTests
{
    private const string BaseUrl = "https://ides.example/scim/v2";

    public static TheoryData<string, string?, string?> Cases()
    {
        var data = new TheoryData<string, string?, string?>();
        string?[][] selections =
        [
            [null, null],
            ["userName", null],
            ["emails.value,name.givenName", null],
            ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", null],
            ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value,groups.display", null],
            ["externalId,active,addresses", null],
            ["", null],
            [null, "emails,groups"],
            [null, "externalId,name.familyName,addresses.primary"],
            [null, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            [null, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName,urn:ideascale:params:scim:schemas:extension:2.0:User:businessUnit"],
            [null, "meta,id,password"],
        ];
        foreach (var user in new[] { "full", "minimal", "inactive" })
        {
            foreach (var s in selections)
            {
                data.Add(user, s[0], s[1]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Write_GivesTheBytesOfTheJsonTreeAfterSelection(string user, string? attributes, string? excludedAttributes)
    {
        var (member, rows) = User(user);
        var selection = AttributeSelection.Parse(ScimRegistry.UserType, attributes, excludedAttributes);
        var expected = selection.Apply(UserMapper.ToJson(member, rows, BaseUrl)).ToJsonString(ScimJson.Options);

        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = ScimJson.Options.Encoder }))
        {
            UserJsonWriter.Write(writer, member, rows, BaseUrl, selection);
        }

        Assert.Equal(expected, Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static (WorkspaceMember Member, UserRows Rows) User(string shape)
    {
        var created = new DateTime(2026, 11, 28, 9, 30, 15, 123, DateTimeKind.Utc).AddTicks(4567);
        var member = new WorkspaceMember
        {
            UserName = "Ana.Lima@ides.example",
            Created = created,
            LastModified = created.AddMinutes(5),
            Version = 7,
        };
        if (shape == "minimal")
        {
            return (member, UserRows.Empty);
        }

        member.ExternalId = "ext-1 <&>\"é";
        member.Active = shape != "inactive";
        member.GivenName = "Ana";
        member.FamilyName = "Lima";
        member.DisplayName = "Ana Lima";
        member.Title = "Engineer";
        member.Department = "R&D";
        member.EmployeeNumber = "42";
        member.BusinessUnit = "Labs";
        member.ManagerId = Guid.NewGuid();
        var values = new List<MemberValue>
        {
            new() { Kind = MemberValueKind.Email, Ordinal = 1, Value = "ana@home.example", Type = "home" },
            new() { Kind = MemberValueKind.Email, Ordinal = 0, Value = "ana@ides.example", Type = "work", Primary = true },
            new() { Kind = MemberValueKind.PhoneNumber, Ordinal = 0, Value = "+351 1", Display = "Office" },
            new() { Kind = MemberValueKind.Role, Ordinal = 0 },
        };
        var addresses = new List<MemberAddress> { new() { Ordinal = 0, Locality = "Porto", Country = "PT", Type = "work", Primary = true } };
        var groups = new List<(Guid, string)> { (Guid.NewGuid(), "Alpha"), (Guid.NewGuid(), "Beta") };
        return (member, new UserRows(values, addresses, groups, shape == "inactive" ? null : "The Manager"));
    }
}
