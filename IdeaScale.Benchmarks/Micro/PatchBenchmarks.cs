using System.Text.Json.Nodes;

using BenchmarkDotNet.Attributes;

using IdeaScale.Portal.Data.Entities;
using IdeaScale.Portal.Scim.Groups;
using IdeaScale.Portal.Scim.Patching;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;
using IdeaScale.Portal.Scim.Users;

namespace IdeaScale.Benchmarks.Micro;

/// <summary>
/// The PATCH engine applied to a user's canonical representation (as UserMapper.ToJson builds it), with the
/// operation shapes Microsoft Entra ID sends, and to a group (a membership delta). Each call patches a fresh
/// copy, so <see cref="CloneOnly"/> is the baseline to subtract.
/// </summary>
[MemoryDiagnoser]
[SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "BenchmarkDotNet runs instance methods.")]
public class PatchBenchmarks
{
    private const string Enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    private readonly PatchEngine users = new(ScimRegistry.UserType);
    private readonly PatchEngine groups = new(ScimRegistry.GroupType);
    private JsonObject user = null!;
    private JsonObject group = null!;
    private PatchOperation[] replaceTitle = null!;
    private PatchOperation[] emailValuePath = null!;
    private PatchOperation[] noPathKeys = null!;
    private PatchOperation[] entraUpdate = null!;
    private PatchOperation[] memberAdd = null!;

    [GlobalSetup]
    public void Setup()
    {
        var member = new WorkspaceMember
        {
            WorkspaceId = Guid.NewGuid(),
            UserName = "bjensen@example.com",
            ExternalId = "bjensen",
            GivenName = "Barbara",
            FamilyName = "Jensen",
            NameFormatted = "Ms. Barbara J Jensen III",
            DisplayName = "Babs Jensen",
            Title = "Tour Guide",
            Department = "Tours",
            EmployeeNumber = "701984",
            Created = DateTime.UtcNow,
            LastModified = DateTime.UtcNow,
            Version = 3,
        };
        MemberValue[] values =
        [
            new() { MemberId = member.Id, Kind = MemberValueKind.Email, Ordinal = 0, Type = "work", Primary = true, Value = "bjensen@example.com" },
            new() { MemberId = member.Id, Kind = MemberValueKind.Email, Ordinal = 1, Type = "home", Value = "babs@jensen.org" },
            new() { MemberId = member.Id, Kind = MemberValueKind.PhoneNumber, Ordinal = 0, Type = "work", Value = "555-555-5555" },
        ];
        user = UserMapper.ToJson(member, new UserRows(values, [], [], null), "https://ides.example/scim/v2");
        group = GroupMapper.ToJson(new WorkspaceGroup { WorkspaceId = member.WorkspaceId, DisplayName = "Tour Guides" }, null, "https://ides.example/scim/v2");

        replaceTitle = [new("Replace", "title", JsonValue.Create("Senior Tour Guide"))];
        emailValuePath = [new("Add", "emails[type eq \"work\"].value", JsonValue.Create("barbara.jensen@example.com"))];
        noPathKeys = [new("replace", null, new JsonObject { ["name.givenName"] = "Babs", [Enterprise + ":employeeNumber"] = "42" })];
        entraUpdate =
        [
            new("Replace", "displayName", JsonValue.Create("Barbara Jensen")),
            new("Replace", "name.familyName", JsonValue.Create("Jensen-Smith")),
            new("Add", "emails[type eq \"work\"].value", JsonValue.Create("barbara.jensen-smith@example.com")),
            new("Replace", Enterprise + ":department", JsonValue.Create("Travel")),
            new("Replace", "active", JsonValue.Create("False")),
        ];
        memberAdd = [new("Add", "members", new JsonArray(new JsonObject { ["$ref"] = null, ["value"] = Guid.NewGuid().ToString() }))];
    }

    [Benchmark(Baseline = true)]
    public JsonNode CloneOnly() => user.DeepClone();

    [Benchmark]
    public PatchOutcome ReplaceTitle() => users.Apply((JsonObject)user.DeepClone(), "u", replaceTitle);

    [Benchmark]
    public PatchOutcome EntraEmailValuePath() => users.Apply((JsonObject)user.DeepClone(), "u", emailValuePath);

    [Benchmark]
    public PatchOutcome NoPathReplaceWithPathKeys() => users.Apply((JsonObject)user.DeepClone(), "u", noPathKeys);

    /// <summary>Five operations, as Entra sends one PATCH per changed user in default mode.</summary>
    [Benchmark]
    public PatchOutcome EntraUserUpdate() => users.Apply((JsonObject)user.DeepClone(), "u", entraUpdate);

    [Benchmark]
    public PatchOutcome GroupMemberAdd() => groups.Apply((JsonObject)group.DeepClone(), "g", memberAdd);
}
