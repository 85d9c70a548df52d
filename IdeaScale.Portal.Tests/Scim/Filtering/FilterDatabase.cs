using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IdeaScale.Portal.Tests.Scim.Filtering;

/// <summary>
/// The app (through <see cref="PortalFactory"/>) on a real SQLite file, migrated by the app's startup, plus members
/// and groups in two extra workspaces, seeded once. Created/LastModified come from a <see cref="FakeTimeProvider"/>,
/// one hour apart per resource.
/// </summary>
public sealed class FilterDatabase : IAsyncLifetime, IDisposable
{
    public static readonly DateTime T0 = new(2026, 3, 1, 9, 0, 0, DateTimeKind.Utc);

    private readonly FakeTimeProvider time = new(new DateTimeOffset(T0));
    private readonly ClockedFactory factory;

    public FilterDatabase() => factory = new ClockedFactory(time);

    public Guid WorkspaceA { get; private set; }
    public Guid WorkspaceB { get; private set; }
    public Dictionary<string, Guid> Ids { get; } = [];

    /// <summary>A short-lived context from the app's own factory (same options, interceptors and model).</summary>
    public PortalDbContext CreateContext() => factory.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext();

    public async Task InitializeAsync()
    {
        await using var db = CreateContext();

        var a = new Workspace { Name = "A", Slug = "a", PublicUrl = "https://a.example" };
        var b = new Workspace { Name = "B", Slug = "b", PublicUrl = "https://b.example" };
        db.Workspaces.AddRange(a, b);
        await db.SaveChangesAsync();
        (WorkspaceA, WorkspaceB) = (a.Id, b.Id);

        var alice = new WorkspaceMember
        {
            WorkspaceId = a.Id,
            UserName = "alice@example.com",
            ExternalId = "ext-Alice",
            DisplayName = "Alice Smith",
            GivenName = "Alice",
            FamilyName = "Smith",
            Title = "Engineer",
            Department = "R&D",
            Values =
            [
                new MemberValue { Kind = MemberValueKind.Email, Type = "work", Value = "alice@example.com", Primary = true, Ordinal = 0 },
                new MemberValue { Kind = MemberValueKind.Email, Type = "home", Value = "alice.home@mail.test", Ordinal = 1 },
                new MemberValue { Kind = MemberValueKind.PhoneNumber, Type = "work", Value = "+1 555 0100", Ordinal = 0 },
            ],
            Addresses = [new MemberAddress { Type = "work", Locality = "Berlin", Country = "DE", Primary = true }],
        };
        await Add(db, "alice", alice);

        var bob = new WorkspaceMember
        {
            WorkspaceId = a.Id,
            UserName = "Bob@Example.com",
            ExternalId = "ext-bob",
            DisplayName = "Bob 100% Jones",
            Active = false,
            ManagerValue = alice.Id.ToString(),
            ManagerId = alice.Id,
            Department = "Sales",
            Values =
            [
                new MemberValue { Kind = MemberValueKind.Email, Type = "work", Value = "bob_work@example.com", Ordinal = 0 },
                new MemberValue { Kind = MemberValueKind.PhoneNumber, Type = "home", Value = "alice@example.com", Ordinal = 0 },
            ],
        };
        await Add(db, "bob", bob);

        var carol = new WorkspaceMember
        {
            WorkspaceId = a.Id,
            UserName = "carol",
            DisplayName = "carol",
            Title = "",
            ManagerValue = alice.Id.ToString(),
            ManagerId = alice.Id,
            Values = [new MemberValue { Kind = MemberValueKind.Email, Type = "home", Value = "carol@home.test", Ordinal = 0 }],
        };
        await Add(db, "carol", carol);

        await Add(db, "dave", new WorkspaceMember { WorkspaceId = a.Id, UserName = "DÄVE", DisplayName = "Däve" });

        // Workspace B reuses alice's userName and a group name; filters must never see these through workspace A.
        await Add(db, "alice-b", new WorkspaceMember
        {
            WorkspaceId = b.Id,
            UserName = "alice@example.com",
            ExternalId = "ext-Alice",
            Values = [new MemberValue { Kind = MemberValueKind.Email, Type = "work", Value = "alice@example.com", Ordinal = 0 }],
        });

        var engineering = new WorkspaceGroup { WorkspaceId = a.Id, DisplayName = "Engineering", ExternalId = "g-eng" };
        var sales = new WorkspaceGroup { WorkspaceId = a.Id, DisplayName = "Sales" };
        var empty = new WorkspaceGroup { WorkspaceId = a.Id, DisplayName = "Empty_Group" };
        var engineeringB = new WorkspaceGroup { WorkspaceId = b.Id, DisplayName = "Engineering" };
        foreach (var (key, group) in new[] { ("Engineering", engineering), ("Sales", sales), ("Empty_Group", empty), ("Engineering-b", engineeringB) })
        {
            db.Groups.Add(group);
            await db.SaveChangesAsync();
            Ids[key] = group.Id;
            time.Advance(TimeSpan.FromHours(1));
        }

        db.GroupMemberships.AddRange(
            new GroupMembership { GroupId = engineering.Id, MemberId = alice.Id, WorkspaceId = a.Id, MemberType = GroupMemberType.User },
            new GroupMembership { GroupId = engineering.Id, MemberId = bob.Id, WorkspaceId = a.Id, MemberType = GroupMemberType.User },
            new GroupMembership { GroupId = sales.Id, MemberId = bob.Id, WorkspaceId = a.Id, MemberType = GroupMemberType.User },
            new GroupMembership { GroupId = sales.Id, MemberId = engineering.Id, WorkspaceId = a.Id, MemberType = GroupMemberType.Group },
            new GroupMembership { GroupId = engineeringB.Id, MemberId = Ids["alice-b"], WorkspaceId = b.Id, MemberType = GroupMemberType.User });
        await db.SaveChangesAsync();
    }

    private async Task Add(PortalDbContext db, string key, WorkspaceMember member)
    {
        db.Members.Add(member);
        await db.SaveChangesAsync();
        Ids[key] = member.Id;
        time.Advance(TimeSpan.FromHours(1));
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => factory.Dispose();

    private sealed class ClockedFactory(TimeProvider time) : PortalFactory
    {
        protected override void ConfigureTestServices(IServiceCollection services) => services.AddSingleton(time);
    }
}
