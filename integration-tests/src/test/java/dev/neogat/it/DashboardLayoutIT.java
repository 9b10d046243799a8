package dev.neogat.it;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The browser check's layout rules can fail: on dashboard/test/layout-fixture.html, a card with content wider
 * than itself and an axis title on a plot, it reports both and nothing else. (RealServerIT requires the real
 * page to have neither.)
 */
class DashboardLayoutIT {

    @Test
    @SuppressWarnings("unchecked")
    void theBrowserCheckReportsContentWiderThanItsCardAndAxisTitlesOnThePlot() {
        Optional<String> unavailable = BrowserCheck.unavailableBecause();
        assumeTrue(unavailable.isEmpty(), () -> "Browser test skipped: " + unavailable.orElseThrow());
        Path fixture = Paths.get(System.getProperty("neogat.dashboard.dir"), "test", "layout-fixture.html")
                .toAbsolutePath();
        Map<String, Object> findings = BrowserCheck.open(fixture.toUri().toString(),
                Paths.get("target", "layout-fixture.png"));
        System.out.println("Layout fixture findings: " + findings);
        List<String> cards = (List<String>) findings.get("overflowingCards");
        assertThat(cards).isNotEmpty().allMatch(c -> c.startsWith("wide-card: "));
        assertThat((List<String>) findings.get("overlappingAxisTitles"))
                .containsExactly("chart-card: axis title 'on the plot' lies on the plot");
    }
}
