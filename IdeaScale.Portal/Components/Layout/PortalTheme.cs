using MudBlazor;

namespace IdeaScale.Portal.Components.Layout;

/// <summary>
/// IdeaScale brand colours for light and dark mode, chosen for WCAG AA contrast (4.5:1 for text) wherever MudBlazor
/// draws text in them: chips and filled buttons (colour with its contrast text), outlined chips, text buttons and the
/// active menu item (colour on the surface), alerts (the "darken" shade on a tint of the colour). The E2E accessibility
/// sweep (IdeaScale.E2E/Journeys/AccessibilityJourney.cs) checks every page in both modes.
/// </summary>
public static class PortalTheme
{
    /// <summary>Text on the bright colours of the dark palette.</summary>
    private const string DarkInk = "#1f1f25";

    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            // The brand orange #c2501a stays in the top bar (white on it: 4.7:1); text and the active menu item use a
            // deeper shade, which keeps 5.2:1 on the menu's hover grey.
            Primary = "#a8441a",
            Secondary = "#3d5a80",
            AppbarBackground = "#c2501a",
            AppbarText = "#ffffff",
            Success = "#207a3c",
            Error = "#c62828",
            Warning = "#a35200",
            Info = "#1565c0",
            // MudBlazor's default (black at 54 %) is 4.6:1 on white; the breadcrumb's current item uses it.
            TextSecondary = "rgba(0,0,0,0.6)",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#ff8a50",
            PrimaryContrastText = DarkInk,
            Secondary = "#98c1d9",
            SecondaryContrastText = DarkInk,
            AppbarBackground = "#2b2b33",
            AppbarText = "rgba(255,255,255,0.87)",
            Success = "#3dcb6c",
            SuccessContrastText = DarkInk,
            Error = "#ff8a95",
            ErrorContrastText = DarkInk,
            Warning = "#ffb545",
            WarningContrastText = DarkInk,
            Info = "#64b5f6",
            InfoContrastText = DarkInk,
            // Alerts draw their text in the "darken" shade on a faint tint of the colour; on a dark background that
            // shade must be lighter than the colour, not darker.
            SuccessDarken = "#8fe3a9",
            ErrorDarken = "#ffb3ba",
            WarningDarken = "#ffd28a",
            InfoDarken = "#9ecbff",
            // MudBlazor's defaults (white at 70 % and 50 %) fall below 4.5:1 on chips and on the surface.
            TextPrimary = "rgba(255,255,255,0.87)",
            TextSecondary = "rgba(255,255,255,0.65)",
            DrawerText = "rgba(255,255,255,0.87)",
            // The background of default (grey) filled chips, e.g. a member's "Deactivated": white at 26 % is 4.0:1.
            ActionDisabledBackground = "rgba(255,255,255,0.16)",
        },
    };
}
