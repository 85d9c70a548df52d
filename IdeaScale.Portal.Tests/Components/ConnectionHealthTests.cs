using Bunit;

using IdeaScale.Portal.Workspaces.ProvisioningHealth;

using Microsoft.EntityFrameworkCore;

using WorkspacesPage = IdeaScale.Portal.Components.Pages.CustomerSuccess.Workspaces;

namespace IdeaScale.Portal.Tests.Components;

/// <summary>The connection status column of the CS console and the chip's link to the matching log entries.</summary>
public sealed class ConnectionHealthTests : PortalComponentContext
{
    [Fact]
    public void Render_CsConsole_ShowsEachEnabledWorkspacesStatusWithItsExplanation()
    {
        using (var db = Db())
        {
            var ides = db.Workspaces.Single(w => w.Slug == "ides").Id;
            var now = DateTime.UtcNow;
            for (var i = 0; i < 6; i++)
            {
                db.ProvisioningEvents.Add(new ProvisioningEvent
                {
                    WorkspaceId = ides,
                    OccurredAt = now.AddMinutes(-i),
                    ActorKind = ActorKind.IdentityProvider,
                    Actor = "Okta",
                    Operation = ProvisioningOperation.Create,
                    Outcome = EventOutcome.Failure,
                    StatusCode = 500,
                });
            }

            db.SaveChanges();
        }

        SignInAs(DemoSeeder.CsmEmail, roles: Roles.CustomerSuccess);

        var cut = Render<WorkspacesPage>();

        cut.WaitForAssertion(() => Assert.Equal("Failing", cut.Find("[data-testid='cs-health-ides']").GetAttribute("data-state")));
        Assert.Contains("6 of 6 requests", cut.Find("[data-testid='cs-health-ides-explanation']").TextContent, StringComparison.Ordinal);
        Assert.Equal("NeverContacted", cut.Find("[data-testid='cs-health-acme']").GetAttribute("data-state"));
        Assert.Empty(cut.FindAll("[data-testid='cs-health-nosso']")); // SCIM off: no status
    }

    [Fact]
    public void LogUrl_OldTokenRefused_LinksToTheAuthenticationFailuresSinceTheReplacement()
    {
        var now = new DateTime(2026, 3, 2, 12, 0, 0, DateTimeKind.Utc);
        var replaced = now.AddMinutes(-30);
        var silent = WorkspaceHealth.Assess(new HealthFacts(5, 5, now.AddHours(-2), now.AddMinutes(-1), replaced.AddMinutes(-5), 4, now, replaced), now, new());

        var url = IdeaScale.Portal.Components.Shared.ConnectionHealthChip.LogUrl("ides", silent);

        Assert.Equal("/workspaces/ides/manage/provisioning-log?from=2026-03-02T11%3A30%3A00Z&operation=AuthenticationFailure&outcome=Failure", url);
    }

    [Fact]
    public void LogUrl_Degraded_LinksToTheFailuresOfTheFailureWindow()
    {
        var now = new DateTime(2026, 3, 2, 12, 0, 0, DateTimeKind.Utc);
        var degraded = WorkspaceHealth.Assess(new HealthFacts(10, 2, now.AddHours(-2), now.AddMinutes(-1), now.AddMinutes(-1), 4, now, null), now, new());

        Assert.Equal("/workspaces/ides/manage/provisioning-log?from=2026-03-02T06%3A00%3A00Z&outcome=Failure", IdeaScale.Portal.Components.Shared.ConnectionHealthChip.LogUrl("ides", degraded));
    }
}
