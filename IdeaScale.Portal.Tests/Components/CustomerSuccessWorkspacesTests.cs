using AngleSharp.Dom;

using Bunit;

using Microsoft.EntityFrameworkCore;

using WorkspacesPage = IdeaScale.Portal.Components.Pages.CustomerSuccess.Workspaces;

namespace IdeaScale.Portal.Tests.Components;

/// <summary>The customer-success console: every workspace, the SCIM switch, its confirmation and its gating on SSO.</summary>
public sealed class CustomerSuccessWorkspacesTests : PortalComponentContext
{
    /// <summary>The switch input whose accessible name (aria-labelledby) is <paramref name="name"/>.</summary>
    private static IElement Switch(IRenderedComponent<WorkspacesPage> cut, string name)
    {
        var label = cut.FindAll("span[id]").Single(s => s.TextContent == name);
        var input = cut.Find($"input[aria-labelledby='{label.Id}']");
        Assert.Equal("switch", input.GetAttribute("role"));
        return input;
    }

    [Fact]
    public void Render_AsCsm_ListsEveryWorkspaceWithSsoScimAndCsm()
    {
        SignInAs(DemoSeeder.CsmEmail, roles: Roles.CustomerSuccess);

        var cut = Render<WorkspacesPage>();

        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("tbody tr").Count));
        Assert.Contains("Ideas Demo", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("Acme Innovation", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("No SSO Community", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("Casey Success (CSM)", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("Unassigned", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_WorkspaceWithoutSso_SwitchDisabledWithExplanation()
    {
        SignInAs(DemoSeeder.CsmEmail, roles: Roles.CustomerSuccess);

        var cut = Render<WorkspacesPage>();

        cut.WaitForAssertion(() => Switch(cut, "SCIM enabled for No SSO Community"));
        Assert.True(Switch(cut, "SCIM enabled for No SSO Community").HasAttribute("disabled"));
        Assert.False(Switch(cut, "SCIM enabled for Ideas Demo").HasAttribute("disabled"));
        Assert.Contains("only after the workspace's admins activate single sign-on", cut.Find("[data-testid=scim-blocked-nosso]").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=scim-blocked-ides]"));
    }

    [Fact]
    public async Task ToggleScim_Confirmed_DisablesScimAndAudits()
    {
        SignInAs(DemoSeeder.CsmEmail, roles: Roles.CustomerSuccess);
        var cut = Render<WorkspacesPage>();
        cut.WaitForAssertion(() => Switch(cut, "SCIM enabled for Ideas Demo"));

        InTurn(() => Switch(cut, "SCIM enabled for Ideas Demo").Change(false));
        Providers.WaitForAssertion(() => Assert.Contains("Disable SCIM for Ideas Demo?", Providers.Markup, StringComparison.Ordinal));
        // The destructive button stays disabled until a reason is typed.
        Assert.True(Providers.Find("[data-testid=disable-confirm]").HasAttribute("disabled"));
        await Providers.InvokeAsync(() => Providers.Find("[data-testid=disable-reason] textarea, textarea[data-testid=disable-reason]").Input("Contract paused"));
        Providers.WaitForAssertion(() => Assert.False(Providers.Find("[data-testid=disable-confirm]").HasAttribute("disabled")));
        await Providers.InvokeAsync(() => Providers.Find("[data-testid=disable-confirm]").Click());

        cut.WaitForAssertion(() =>
        {
            using var db = Db();
            var scim = db.Workspaces.Include(w => w.Scim).Single(w => w.Slug == "ides").Scim!;
            Assert.False(scim.Enabled);
            Assert.Equal("Contract paused", scim.DisabledReason);
        });
        using var audit = Db();
        Assert.True(audit.ProvisioningEvents.Any(e => e.Operation == ProvisioningOperation.ScimDisabled && e.Actor == DemoSeeder.CsmEmail && e.Outcome == EventOutcome.Success));
    }

    [Fact]
    public async Task Render_AsCsmOfNoWorkspace_SwitchesAreDisabledAndSayWhoIsAssigned()
    {
        await IdeaScale.Portal.Tests.Workspaces.CsmScopeTests.AddCsmAsync(App, "other.csm@ideascale.example");
        SignInAs("other.csm@ideascale.example", roles: Roles.CustomerSuccess);

        var cut = Render<WorkspacesPage>();

        cut.WaitForAssertion(() => Switch(cut, "SCIM enabled for Ideas Demo"));
        Assert.True(Switch(cut, "SCIM enabled for Ideas Demo").HasAttribute("disabled"));
        Assert.True(Switch(cut, "SCIM enabled for Acme Innovation").HasAttribute("disabled"));
        Assert.Contains("Assigned to Casey Success (CSM)", cut.Find("[data-testid=scim-not-assigned-ides]").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=csm-select-ides]"));
    }

    [Fact]
    public async Task AssignCsm_AsLead_AssignsTheWorkspaceAndAudits()
    {
        SignInAs(DemoSeeder.LeadEmail, roles: [Roles.CustomerSuccess, Roles.CustomerSuccessLead]);
        var cut = Render<WorkspacesPage>();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=csm-select-nosso]")));
        Assert.False(Switch(cut, "SCIM enabled for Ideas Demo").HasAttribute("disabled"));

        string csmId;
        using (var db = Db())
        {
            csmId = db.Users.Single(u => u.Email == DemoSeeder.CsmEmail).Id;
        }

        var select = cut.FindComponents<MudBlazor.MudSelect<string>>().Single(s => s.Instance.UserAttributes.TryGetValue("data-testid", out var id) && (string?)id == "csm-select-nosso");
        await cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(csmId));

        cut.WaitForAssertion(() =>
        {
            using var db = Db();
            Assert.Equal(csmId, db.Workspaces.Single(w => w.Slug == "nosso").CustomerSuccessManagerId);
        });
        using var audit = Db();
        Assert.True(audit.ProvisioningEvents.Any(e => e.Operation == ProvisioningOperation.CsmAssigned && e.Actor == DemoSeeder.LeadEmail && e.Outcome == EventOutcome.Success));
    }

    [Fact]
    public void ToggleScim_Cancelled_ChangesNothing()
    {
        SignInAs(DemoSeeder.CsmEmail, roles: Roles.CustomerSuccess);
        var cut = Render<WorkspacesPage>();
        cut.WaitForAssertion(() => Switch(cut, "SCIM enabled for Ideas Demo"));

        InTurn(() => Switch(cut, "SCIM enabled for Ideas Demo").Change(false));
        Providers.WaitForAssertion(() => Assert.Contains("Disable SCIM for Ideas Demo?", Providers.Markup, StringComparison.Ordinal));
        InTurn(() => Providers.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel").Click());

        Providers.WaitForAssertion(() => Assert.DoesNotContain("Disable SCIM for Ideas Demo?", Providers.Markup, StringComparison.Ordinal));
        // The switch shows SCIM on again, not the position it was flipped to.
        cut.WaitForAssertion(() => Assert.Equal("true", Switch(cut, "SCIM enabled for Ideas Demo").GetAttribute("aria-checked")));
        using var db = Db();
        Assert.True(db.Workspaces.Include(w => w.Scim).Single(w => w.Slug == "ides").Scim!.Enabled);
        Assert.False(db.ProvisioningEvents.Any(e => e.Operation == ProvisioningOperation.ScimDisabled));
    }
}
