using IdeaScale.E2E.AppHost;
using IdeaScale.E2E.Pages;

using Microsoft.Playwright;

namespace IdeaScale.E2E.Journeys;

/// <summary>
/// The portal with the keyboard only: the skip link reaches the content; a dialog or side panel takes the focus when it
/// opens (a field, never the destructive button), Escape closes it without acting, and focus goes back to its opener.
/// </summary>
[Collection(PortalE2E.Name)]
public sealed class KeyboardJourney(PortalAppHost host)
{
    [Fact]
    public async Task Admin_SkipLinkThenRegenerateDialog_FocusMovesInEscapeClosesAndFocusReturns()
    {
        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);
        var scim = new ScimSettingsPage(page);
        await scim.GotoAsync("ides");

        // The first Tab of the page lands on the skip link, which shows itself; Enter moves focus to the main content.
        // After a navigation the router focuses the page's h1 (FocusOnNavigate); a keyboard user who starts from the top
        // of the document (coming from the address bar) meets the skip link first. Start there: focusing the body moves
        // the browser's sequential focus starting point to the document's start.
        await page.EvaluateAsync("() => { document.activeElement?.blur(); document.body.tabIndex = -1; document.body.focus(); document.body.removeAttribute('tabindex'); window.scrollTo(0, 0); }");
        await page.Keyboard.PressAsync("Tab");
        var skip = page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" });
        await Assertions.Expect(skip).ToBeFocusedAsync();
        await Assertions.Expect(skip).ToBeInViewportAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("main#main-content")).ToBeFocusedAsync();

        // The regenerate dialog focuses the chosen grace option, not its destructive "Regenerate" button.
        var regenerate = page.GetByRole(AriaRole.Button, new() { Name = "Regenerate SCIM token", Exact = true });
        await regenerate.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Regenerate the SCIM token" });
        await dialog.GetByText("Provisioning stops until your identity provider gets the new token").WaitForAsync();
        await Assertions.Expect(dialog.GetByRole(AriaRole.Radio, new() { Name = "No grace period (stops now)" })).ToBeFocusedAsync();
        await Assertions.Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Regenerate", Exact = true })).Not.ToBeFocusedAsync();

        // Escape closes it without regenerating, and focus is back on the button that opened it.
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        await Assertions.Expect(regenerate).ToBeFocusedAsync();
        await Assertions.Expect(scim.NewToken).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_MemberDetailPanel_FocusMovesInEscapeClosesItAndFocusReturnsToTheMember()
    {
        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);
        await page.GotoAsync("/workspaces/ides/manage/members");
        await LoginPage.WaitForCircuitAsync(page);

        var opener = page.GetByRole(AriaRole.Button, new() { Name = "Show details of grace.hopper@ides.example" });
        var panel = page.Locator("aside[aria-label='Member details']");
        await opener.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByTestId("member-detail").Locator("tr[data-path='userName'] td")).ToHaveTextAsync("grace.hopper@ides.example");
        await Assertions.Expect(panel).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-drawer--open"));
        await Assertions.Expect(panel.GetByRole(AriaRole.Button, new() { Name = "Close member details" })).ToBeFocusedAsync();

        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(panel).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-drawer--open"));
        await Assertions.Expect(opener).ToBeFocusedAsync();

        // The same with the close button: focus does not stay behind in the closed panel.
        await opener.ClickAsync();
        await Assertions.Expect(panel).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-drawer--open"));
        await panel.GetByRole(AriaRole.Button, new() { Name = "Close member details" }).ClickAsync();
        await Assertions.Expect(panel).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-drawer--open"));
        await Assertions.Expect(opener).ToBeFocusedAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Csm_DisableScimDialog_FocusIsInTheReasonFieldEscapeCancelsAndFocusReturnsToTheSwitch()
    {
        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync("csm@ideascale.example", PortalAppHost.CsmPassword);
        var console = new CsWorkspacesPage(page);
        await console.GotoAsync();
        var toggle = console.ScimSwitch("Acme Innovation");
        await Assertions.Expect(toggle).ToBeCheckedAsync();

        await toggle.FocusAsync();
        await page.Keyboard.PressAsync("Space");
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Disable SCIM for Acme Innovation" });
        await dialog.GetByText("Disable SCIM for Acme Innovation?").WaitForAsync();
        await Assertions.Expect(dialog.GetByTestId("disable-reason")).ToBeFocusedAsync();
        await Assertions.Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Disable SCIM", Exact = true })).Not.ToBeFocusedAsync();

        // Typing goes straight into the reason; Escape still cancels: SCIM stays on.
        await page.Keyboard.TypeAsync("changed my mind");
        await Assertions.Expect(dialog.GetByTestId("disable-reason")).ToHaveValueAsync("changed my mind");
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        await Assertions.Expect(toggle).ToBeCheckedAsync();
        await Assertions.Expect(toggle).ToBeFocusedAsync();
        await page.Context.CloseAsync();
    }
}
