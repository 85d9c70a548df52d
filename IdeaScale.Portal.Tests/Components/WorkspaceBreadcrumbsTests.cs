using Bunit;

using IdeaScale.Portal.Components.Shared;

using Microsoft.Extensions.DependencyInjection;

using MudBlazor.Services;

namespace IdeaScale.Portal.Tests.Components;

/// <summary>The Manage Workspace breadcrumb: a crumb is a link only when it is a page; no dead "#" links.</summary>
public sealed class WorkspaceBreadcrumbsTests : BunitContext
{
    public WorkspaceBreadcrumbsTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    [Fact]
    public void Render_ScimTrail_LinksOnlyTheSsoPageAndMarksScimCurrent()
    {
        var cut = Render<WorkspaceBreadcrumbs>(p => p
            .Add(b => b.Slug, "ides")
            .Add(b => b.Trail, ["Security", "Authentication", "Single Sign On", "SCIM"]));

        var items = cut.FindAll("nav[aria-label=Breadcrumb] li");
        Assert.Equal(["Manage Workspace", "Security", "Authentication", "Single Sign On", "SCIM"], items.Select(i => i.TextContent.Trim()));

        // Every anchor has a real destination; the headings that are no page are plain text.
        var links = cut.FindAll("a");
        Assert.Equal(["Single Sign On"], links.Select(a => a.TextContent.Trim()));
        Assert.Equal("/workspaces/ides/manage/security/authentication/sso", links[0].GetAttribute("href"));
        Assert.DoesNotContain("href=\"#\"", cut.Markup, StringComparison.Ordinal);
        Assert.Empty(items[0].QuerySelectorAll("a"));
        Assert.Empty(items[1].QuerySelectorAll("a"));
        Assert.Empty(items[2].QuerySelectorAll("a"));

        var current = Assert.Single(cut.FindAll("[aria-current=page]"));
        Assert.Equal("SCIM", current.TextContent.Trim());
        Assert.Empty(items[4].QuerySelectorAll("a"));
    }

    [Fact]
    public void Render_SsoTrail_CurrentPageIsTextAndNothingElseLinks()
    {
        var cut = Render<WorkspaceBreadcrumbs>(p => p
            .Add(b => b.Slug, "acme")
            .Add(b => b.Trail, ["Security", "Authentication", "Single Sign On"]));

        Assert.Empty(cut.FindAll("a"));
        Assert.Equal("Single Sign On", cut.Find("[aria-current=page]").TextContent.Trim());
    }
}
