using Bunit;

using IdeaScale.Portal.Components.Pages.ManageWorkspace;
using IdeaScale.Portal.Workspaces;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

using MudBlazor;

namespace IdeaScale.Portal.Tests.Components.Pages.ManageWorkspace;

public sealed class MembersPageTests : IAsyncDisposable
{
    private readonly PortalPageContext ctx = new();

    [Fact]
    public void Render_DemoWorkspace_ShowsEachMemberWithStatusChipAndGroups()
    {
        var cut = ctx.Render<Members>(p => p.Add(x => x.Slug, "ides"));

        cut.WaitForAssertion(() => Assert.Equal(6, cut.FindAll("tbody tr").Count), TimeSpan.FromSeconds(10));
        var chips = cut.FindAll("[data-testid=status-chip]").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal(5, chips.Count(c => c == "Active"));
        Assert.Equal(1, chips.Count(c => c == "Deactivated"));
        var tim = cut.FindAll("tbody tr").Single(r => r.TextContent.Contains("tim.berners-lee@ides.example", StringComparison.Ordinal));
        Assert.Contains("Deactivated", tim.TextContent, StringComparison.Ordinal);
        var ada = cut.FindAll("tbody tr").Single(r => r.TextContent.Contains("ada.lovelace@ides.example", StringComparison.Ordinal));
        Assert.Contains("Research", ada.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusFilter_Deactivated_ShowsOnlyDeactivatedMembers()
    {
        var cut = ctx.Render<Members>(p => p.Add(x => x.Slug, "ides"));
        cut.WaitForAssertion(() => Assert.Equal(6, cut.FindAll("tbody tr").Count), TimeSpan.FromSeconds(10));

        var status = cut.FindComponent<MudSelect<string>>();
        await cut.InvokeAsync(() => status.Instance.ValueChanged.InvokeAsync("deactivated"));

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("tbody tr");
            Assert.Single(rows);
            Assert.Contains("tim.berners-lee@ides.example", rows[0].TextContent, StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task GroupFilter_Research_ShowsOnlyItsMembersAndSuggestsGroupsByName()
    {
        var cut = ctx.Render<Members>(p => p.Add(x => x.Slug, "ides"));
        cut.WaitForAssertion(() => Assert.Equal(6, cut.FindAll("tbody tr").Count), TimeSpan.FromSeconds(10));

        var group = cut.FindComponent<MudAutocomplete<GroupRef>>();
        var searchGroups = group.Instance.SearchFunc ?? throw new InvalidOperationException("The group filter has no search.");
        var pending = searchGroups("resea", CancellationToken.None) ?? throw new InvalidOperationException("The group search returned no task.");
        IEnumerable<GroupRef>? found = await pending;
        var suggestions = (found ?? []).ToList();
        Assert.Equal(["Research"], suggestions.Select(g => g.DisplayName));
        await cut.InvokeAsync(() => group.Instance.ValueChanged.InvokeAsync(suggestions[0]));

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("tbody tr").Select(r => r.TextContent).ToList();
            Assert.Equal(2, rows.Count);
            Assert.Contains(rows, r => r.Contains("ada.lovelace@ides.example", StringComparison.Ordinal));
            Assert.Contains(rows, r => r.Contains("alan.turing@ides.example", StringComparison.Ordinal));
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task NextPage_ManyMembers_ServerReturnsTheSecondPageInUserNameOrder()
    {
        var workspaceId = await ctx.WithDbAsync(async db =>
        {
            var id = await db.Workspaces.Where(w => w.Slug == "ides").Select(w => w.Id).SingleAsync();
            db.Members.AddRange(Enumerable.Range(1, 30).Select(i => new WorkspaceMember { WorkspaceId = id, UserName = $"zz-user-{i:00}@ides.example" }));
            await db.SaveChangesAsync();
            return id;
        });

        var cut = ctx.Render<Members>(p => p.Add(x => x.Slug, "ides"));
        cut.WaitForAssertion(() => Assert.Equal(25, cut.FindAll("tbody tr").Count), TimeSpan.FromSeconds(10));
        Assert.Contains("ada.lovelace@ides.example", cut.FindAll("tbody tr")[0].TextContent, StringComparison.Ordinal);

        var table = cut.FindComponent<MudTable<MemberRow>>();
        await cut.InvokeAsync(() => table.Instance.NavigateTo(Page.Next));

        // 36 members, 25 per page: page 2 holds the last 11 by userName (zz-user-20 .. zz-user-30).
        cut.WaitForAssertion(() => Assert.Equal(11, cut.FindAll("tbody tr").Count), TimeSpan.FromSeconds(10));
        var rows = cut.FindAll("tbody tr").Select(r => r.TextContent).ToList();
        Assert.Contains("zz-user-20@ides.example", rows[0], StringComparison.Ordinal);
        Assert.Contains("zz-user-30@ides.example", rows[^1], StringComparison.Ordinal);
        Assert.Equal(36, (await ctx.WithDbAsync(db => db.Members.CountAsync(m => m.WorkspaceId == workspaceId))));
    }

    [Fact]
    public void SortByStatus_Descending_PutsDeactivatedLast()
    {
        var cut = ctx.Render<Members>(p => p.Add(x => x.Slug, "ides"));
        cut.WaitForAssertion(() => Assert.Equal(6, cut.FindAll("tbody tr").Count), TimeSpan.FromSeconds(10));

        var status = cut.FindComponents<MudTableSortLabel<MemberRow>>().Single(l => l.Instance.SortLabel == nameof(MemberSort.Status));
        cut.InvokeAsync(() => status.Find("span").Click());

        cut.WaitForAssertion(() => Assert.Contains("Deactivated", cut.FindAll("tbody tr")[0].TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ClickMember_OpensDrawerWithEveryScimAttribute()
    {
        await ctx.WithDbAsync(async db =>
        {
            var ada = await db.Members.Include(m => m.Values).SingleAsync(m => m.UserName == "ada.lovelace@ides.example");
            var grace = await db.Members.SingleAsync(m => m.UserName == "grace.hopper@ides.example");
            ada.ManagerValue = grace.Id.ToString();
            ada.ManagerId = grace.Id;
            ada.BusinessUnit = "Analytical Engines";
            ada.Values.Add(new MemberValue { Kind = MemberValueKind.PhoneNumber, Value = "+44 20 7946 0000", Type = "work" });
            db.MemberAddresses.Add(new MemberAddress { MemberId = ada.Id, Locality = "London", Country = "GB", Type = "work", Primary = true });
            return await db.SaveChangesAsync();
        });
        var cut = ctx.Render<Members>(p => p.Add(x => x.Slug, "ides"));
        cut.WaitForAssertion(() => Assert.Equal(6, cut.FindAll("tbody tr").Count), TimeSpan.FromSeconds(10));

        await cut.InvokeAsync(() => cut.FindAll("button").Single(b => b.GetAttribute("aria-label") == "Show details of ada.lovelace@ides.example").Click());

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=member-detail] tr[data-path]")), TimeSpan.FromSeconds(10));
        string? Value(string path) => cut.Find($"[data-testid=member-detail] tr[data-path='{path}'] td").TextContent.Trim();
        Assert.Equal("ada.lovelace@ides.example", Value("userName"));
        Assert.Equal("Ada", Value("name.givenName"));
        Assert.Equal("true", Value("active"));
        Assert.Equal("ada.lovelace@ides.example", Value("emails[0].value"));
        Assert.Equal("true", Value("emails[0].primary"));
        Assert.Equal("+44 20 7946 0000", Value("phoneNumbers[0].value"));
        Assert.Equal("London", Value("addresses[0].locality"));
        Assert.Equal("Research", Value("department"));
        Assert.Equal("Grace Hopper", Value("manager.displayName"));
        Assert.Equal("Analytical Engines", Value("businessUnit"));
        Assert.Equal("Research", Value("groups[0].display"));
        Assert.Equal("demo-1", Value("externalId"));
        Assert.Equal("User", Value("meta.resourceType"));
        Assert.EndsWith("/scim/v2/Users/" + Value("id"), Value("meta.location"), StringComparison.Ordinal);
        Assert.Contains("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", cut.Find("[data-testid=member-detail]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MemberInTheUrl_OpensThePanelWithItsOwnHistoryAndNoEmptyAttributes()
    {
        var (memberId, otherId) = await ctx.WithDbAsync(async db =>
        {
            var ws = await db.Workspaces.Where(w => w.Slug == "ides").Select(w => w.Id).SingleAsync();
            var ids = await db.Members.Where(m => m.WorkspaceId == ws).OrderBy(m => m.UserName).Select(m => m.Id).Take(2).ToListAsync();
            foreach (var (id, summary) in new[] { (ids[0], "story of the first member"), (ids[1], "story of someone else") })
            {
                db.ProvisioningEvents.Add(new ProvisioningEvent
                {
                    WorkspaceId = ws,
                    OccurredAt = DateTime.UtcNow,
                    ActorKind = ActorKind.IdentityProvider,
                    Actor = "Okta",
                    Operation = ProvisioningOperation.Update,
                    Outcome = EventOutcome.Success,
                    ResourceType = "User",
                    ResourceId = id.ToString(),
                    StatusCode = 200,
                    Summary = summary,
                });
            }

            await db.SaveChangesAsync();
            return (ids[0], ids[1]);
        });

        ctx.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().NavigateTo($"/workspaces/ides/manage/members?member={memberId}");
        var cut = ctx.Render<Members>(p => p.Add(x => x.Slug, "ides"));

        // Its own rows only (the demo seed has one of its own too), newest first.
        cut.WaitForAssertion(() => Assert.Contains("story of the first member", cut.FindAll("[data-testid=member-history-row]")[0].TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("someone else", cut.Find("[data-testid=member-detail]").TextContent, StringComparison.Ordinal);
        Assert.NotEmpty(cut.FindAll("[data-testid=member-detail] tr[data-path]"));
        Assert.All(cut.FindAll("[data-testid=member-detail] tr[data-path] td"), td => Assert.False(string.IsNullOrWhiteSpace(td.TextContent)));
        Assert.NotEqual(memberId, otherId);
    }

    public async ValueTask DisposeAsync() => await ctx.DisposeAllAsync();
}
