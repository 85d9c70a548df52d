using System.Net;

using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Tests.Scim.Credentials;
using IdeaScale.Portal.Workspaces;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Tests.Scim.Logging;

/// <summary>
/// Issue 15, part 1: real SCIM writes (POST, PUT, PATCH, DELETE over HTTP, the real SQLite file) leave log rows that
/// read like a story: the subject by name, attribute changes before → after with secrets redacted, memberships by
/// name, and failures explained from recorded facts.
/// </summary>
public sealed class ProvisioningStoryTests
{
    private const string Enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    [Fact]
    public async Task UserLifecycle_EachWrite_RecordsSubjectChangesAndSummary()
    {
        using var factory = new AccessFactory();
        using var idp = factory.Scim(PortalFactory.IdesToken);
        var id = await idp.CreateUserAsync("story.ann@ides.example", "\"name\":{\"givenName\":\"Ann\"},\"title\":\"Engineer\",\"password\":\"Story-Secret-1!\"");
        await idp.PatchJsonAsync($"/scim/v2/Users/{id}", $$"""
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
              {"op":"Replace","path":"name.givenName","value":"Anne"},
              {"op":"replace","path":"title","value":"Lead"},
              {"op":"add","path":"{{Enterprise}}:department","value":"R&D"},
              {"op":"replace","path":"password","value":"Story-Secret-2!"}]}
            """);
        await idp.PutJsonAsync($"/scim/v2/Users/{id}", """
            {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"story.ann@ides.example","name":{"givenName":"Anne"},"active":false}
            """);
        await idp.SendAsync(HttpMethod.Delete, $"/scim/v2/Users/{id}");

        await factory.FlushAsync();
        var rows = (await factory.EventsAsync()).Where(e => e.ResourceId == id).ToList();
        Assert.Equal([ProvisioningOperation.Create, ProvisioningOperation.Update, ProvisioningOperation.Deactivate, ProvisioningOperation.Delete], rows.Select(r => r.Operation));
        Assert.All(rows, r => Assert.Equal("story.ann@ides.example", r.Subject));
        Assert.All(rows, r => Assert.DoesNotContain("Story-Secret", (r.Summary ?? "") + r.Details, StringComparison.Ordinal));

        Assert.StartsWith("created user story.ann@ides.example: set ", rows[0].Summary, StringComparison.Ordinal);
        Assert.Contains(new AttributeChange("password", null, "changed"), ProvisioningDetails.Parse(rows[0].Details)!.Changes!);

        var patched = ProvisioningDetails.Parse(rows[1].Details)!.Changes!;
        Assert.Contains(new AttributeChange("name.givenName", "Ann", "Anne"), patched);
        Assert.Contains(new AttributeChange("title", "Engineer", "Lead"), patched);
        Assert.Contains(new AttributeChange("department", null, "R&D"), patched);
        Assert.Contains(new AttributeChange("password", null, "changed"), patched);
        Assert.Contains("name.givenName: Ann → Anne", rows[1].Summary, StringComparison.Ordinal);

        var replaced = ProvisioningDetails.Parse(rows[2].Details)!.Changes!;
        Assert.StartsWith("deactivated user story.ann@ides.example", rows[2].Summary, StringComparison.Ordinal);
        Assert.Contains(new AttributeChange("active", "true", "false"), replaced);
        Assert.Contains(new AttributeChange("title", "Lead", null), replaced);

        Assert.Equal("deleted user story.ann@ides.example", rows[3].Summary);
    }

    [Fact]
    public async Task GroupMembershipPatch_RecordsMemberNamesCappedWithACount()
    {
        using var factory = new AccessFactory();
        using var idp = factory.Scim(PortalFactory.IdesToken);
        var users = new List<string>();
        for (var i = 0; i < ProvisioningStory.MaxNames + 2; i++)
        {
            users.Add(await idp.CreateUserAsync($"story.m{i:D2}@ides.example"));
        }

        var group = await idp.CreateGroupAsync("Story Group", users[0]);
        var add = string.Join(",", users.Skip(1).Select(u => $$"""{"value":"{{u}}"}"""));
        await idp.PatchJsonAsync($"/scim/v2/Groups/{group}", $$"""{"Operations":[{"op":"add","path":"members","value":[{{add}}]}]}""");
        await idp.PatchJsonAsync($"/scim/v2/Groups/{group}", $$"""{"Operations":[{"op":"remove","path":"members[value eq \"{{users[0]}}\"]"}]}""");
        await idp.PatchJsonAsync($"/scim/v2/Groups/{group}", """{"Operations":[{"op":"replace","path":"displayName","value":"Story Team"}]}""");

        await factory.FlushAsync();
        var rows = (await factory.EventsAsync()).Where(e => e.ResourceId == group).ToList();
        Assert.Equal("created group Story Group: set displayName; added story.m00@ides.example", rows[0].Summary);

        var added = ProvisioningDetails.Parse(rows[1].Details)!.Members!;
        Assert.Equal(ProvisioningStory.MaxNames, added.Added.Count);
        Assert.Equal(1, added.AddedMore);
        Assert.Contains("story.m01@ides.example", added.Added);
        Assert.EndsWith(" and 1 more", rows[1].Summary, StringComparison.Ordinal);
        Assert.All(users, u => Assert.DoesNotContain(u, rows[1].Summary, StringComparison.Ordinal));

        Assert.Equal("updated group Story Group: removed story.m00@ides.example", rows[2].Summary);
        Assert.Equal(("Story Team", "updated group Story Team: displayName: Story Group → Story Team"), (rows[3].Subject, rows[3].Summary));
    }

    [Fact]
    public async Task Failures_AreExplainedFromRecordedFacts()
    {
        using var factory = new AccessFactory();
        // On ides's own host: once its token is replaced, the IdP's 401s are still attributed to ides.
        using var idp = factory.Scim(PortalFactory.IdesToken, host: "ides.localhost");
        var existing = await idp.CreateUserAsync("taken@ides.example", "\"displayName\":\"Taken Person\"");
        var (conflict, _) = await idp.PostJsonAsync("/scim/v2/Users", """{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"TAKEN@ides.example"}""");
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await idp.GetAsync("scim/v2/Users?filter=" + Uri.EscapeDataString("mail eq \"x\""))).StatusCode);

        var admin = await factory.PrincipalAsync("admin@ides.example");
        factory.Time.Advance(TimeSpan.FromMinutes(1));
        await factory.Get<ScimAdministration>().RegenerateTokenAsync(admin, "ides", TokenGracePeriod.None, await factory.CurrentTokenIdAsync("ides"));
        factory.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await idp.GetAsync("scim/v2/Users")).StatusCode);

        using var fresh = factory.Scim(await factory.RevealAsync("ides"));
        var csm = await factory.PrincipalAsync(IdeaScale.Portal.Data.DemoSeeder.CsmEmail);
        await factory.Get<ScimAdministration>().SetScimEnabledAsync(csm, "ides", enabled: false, reason: "Renewal pending");
        factory.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Forbidden, (await fresh.GetAsync("scim/v2/Users")).StatusCode);

        await factory.FlushAsync();
        var page = await factory.Get<ProvisioningLog>().QueryAsync(admin, new ProvisioningLogQuery("ides", Outcome: EventOutcome.Failure, Take: 20));
        var failures = page.Items.Where(e => e.ActorKind == ActorKind.IdentityProvider).ToDictionary(e => e.StatusCode!.Value);

        Assert.Equal(Guid.Parse(existing), failures[409].ConflictingId);
        Assert.Equal("Another member already has userName 'TAKEN@ides.example': Taken Person (taken@ides.example).", failures[409].Explanation!.What);
        Assert.Equal("TAKEN@ides.example", failures[409].Subject);
        Assert.Contains("cannot evaluate", failures[400].Explanation!.What, StringComparison.Ordinal);
        Assert.Contains("still uses the token replaced at", failures[401].Explanation!.What, StringComparison.Ordinal);
        Assert.Contains("admin@ides.example", failures[401].Explanation!.What, StringComparison.Ordinal);
        Assert.StartsWith($"SCIM was disabled for this workspace by {IdeaScale.Portal.Data.DemoSeeder.CsmEmail} at ", failures[403].Explanation!.What, StringComparison.Ordinal);
        Assert.EndsWith(": Renewal pending", failures[403].Explanation!.What, StringComparison.Ordinal);

        var audit = Assert.Single(await factory.EventsAsync(), e => e.Operation == ProvisioningOperation.ScimDisabled);
        Assert.Contains("Renewal pending", audit.Summary, StringComparison.Ordinal);
        Assert.Equal("Renewal pending", (await factory.Get<ScimAdministration>().GetStatusAsync(admin, "ides")).ScimDisabledReason);
        var row = Assert.Single(await factory.Get<ScimAdministration>().ListWorkspacesAsync(csm), w => w.Slug == "ides");
        Assert.Equal(("Renewal pending", IdeaScale.Portal.Data.DemoSeeder.CsmEmail), (row.ScimDisabledReason, row.ScimChangedBy));
    }

    [Fact]
    public async Task DisablingScim_WithoutAReason_IsRefusedAndChangesNothing()
    {
        using var factory = new AccessFactory();
        var csm = await factory.PrincipalAsync(IdeaScale.Portal.Data.DemoSeeder.CsmEmail);

        await Assert.ThrowsAsync<ArgumentException>(() => factory.Get<ScimAdministration>().SetScimEnabledAsync(csm, "ides", enabled: false, reason: "  "));

        Assert.True(await factory.WithDbAsync(db => db.ScimSettings.Where(s => s.Workspace!.Slug == "ides").Select(s => s.Enabled).SingleAsync()));
        Assert.DoesNotContain(await factory.EventsAsync(), e => e.Operation == ProvisioningOperation.ScimDisabled);
    }

    [Fact]
    public async Task ProvisioningLog_AssignedCsmAndLeadRead_OtherCsmIsRefused()
    {
        using var factory = new AccessFactory();
        using (var idp = factory.Scim(PortalFactory.IdesToken))
        {
            await idp.CreateUserAsync("csm.read@ides.example");
        }

        await factory.FlushAsync();
        var log = factory.Get<ProvisioningLog>();
        var assigned = await factory.PrincipalAsync(IdeaScale.Portal.Data.DemoSeeder.CsmEmail);
        var lead = await factory.PrincipalAsync(IdeaScale.Portal.Data.DemoSeeder.LeadEmail);
        var other = await Workspaces.CsmScopeTests.AddCsmAsync(factory, "unassigned.csm@ideascale.example");

        Assert.Contains((await log.QueryAsync(assigned, new ProvisioningLogQuery("ides"))).Items, e => e.Subject == "csm.read@ides.example");
        Assert.NotEmpty((await log.QueryAsync(lead, new ProvisioningLogQuery("ides"))).Items);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => log.QueryAsync(other, new ProvisioningLogQuery("ides")));
    }
}
