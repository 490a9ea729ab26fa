package corpus.esnode;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.core.KeywordTokenizer;
import org.apache.lucene.analysis.core.LowerCaseFilter;
import org.apache.lucene.analysis.core.UpperCaseFilter;
import org.apache.lucene.analysis.core.WhitespaceTokenizer;
import org.apache.lucene.analysis.de.GermanAnalyzer;
import org.apache.lucene.analysis.de.GermanLightStemFilter;
import org.apache.lucene.analysis.de.GermanMinimalStemFilter;
import org.apache.lucene.analysis.de.GermanNormalizationFilter;
import org.apache.lucene.analysis.en.EnglishMinimalStemFilter;
import org.apache.lucene.analysis.en.KStemFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.miscellaneous.TrimFilter;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.apache.lucene.analysis.Tokenizer;
import org.elasticsearch.cluster.metadata.IndexNameExpressionResolver;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.io.stream.NamedWriteableRegistry;
import org.elasticsearch.common.settings.ClusterSettings;
import org.elasticsearch.common.settings.IndexScopedSettings;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.settings.SettingsFilter;
import org.elasticsearch.env.Environment;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.NormalizingTokenFilterFactory;
import org.elasticsearch.index.analysis.PreConfiguredTokenFilter;
import org.elasticsearch.index.analysis.PreConfiguredTokenizer;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.RestController;
import org.elasticsearch.rest.RestHandler;
import org.tartarus.snowball.ext.GermanStemmer;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Test-support plugin for the integ-test distribution of Elasticsearch, which ships
 * without the analysis-common and rest-root modules (they are not published to Maven
 * Central). It registers, under Elasticsearch's standard names and with the same Lucene
 * classes the analysis-common module uses, the analysis components the project needs, and
 * the root endpoint {@code GET /} (and {@code HEAD /}) that rest-root would provide.
 */
public class TestSupportPlugin extends Plugin implements AnalysisPlugin, ActionPlugin {

    private volatile ClusterService clusterService;

    @Override
    public Collection<?> createComponents(PluginServices services) {
        this.clusterService = services.clusterService();
        return List.of();
    }

    @Override
    public Collection<RestHandler> getRestHandlers(Settings settings, NamedWriteableRegistry namedWriteableRegistry,
            RestController restController, ClusterSettings clusterSettings, IndexScopedSettings indexScopedSettings,
            SettingsFilter settingsFilter, IndexNameExpressionResolver indexNameExpressionResolver,
            Supplier<DiscoveryNodes> nodesInCluster, Predicate<NodeFeature> clusterSupportsFeature) {
        return List.of(new RestRootAction(() -> clusterService));
    }

    // ---------------------------------------------------------------- token filters

    /** A filter without settings that is also usable in normalizers (like analysis-common's). */
    private static AnalysisProvider<TokenFilterFactory> normalizing(Function<TokenStream, TokenStream> f) {
        return (IndexSettings is, Environment env, String name, Settings s) -> new NormalizingFilter(name, s, f);
    }

    private static final class NormalizingFilter extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
        private final Function<TokenStream, TokenStream> f;

        NormalizingFilter(String name, Settings settings, Function<TokenStream, TokenStream> f) {
            super(name, settings);
            this.f = f;
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return f.apply(tokenStream);
        }
    }

    private static AnalysisProvider<TokenFilterFactory> plain(Function<TokenStream, TokenStream> f) {
        return (IndexSettings is, Environment env, String name, Settings s) -> new AbstractTokenFilterFactory(name, s) {
            @Override
            public TokenStream create(TokenStream tokenStream) {
                return f.apply(tokenStream);
            }
        };
    }

    /** The {@code stemmer} filter: {@code language} (or {@code name}) picks the Lucene stemmer, as in analysis-common. */
    static Function<TokenStream, TokenStream> stemmer(String language) {
        switch (language.toLowerCase(Locale.ROOT)) {
            case "light_german":
            case "lightgerman":
                return GermanLightStemFilter::new;
            case "minimal_german":
            case "minimalgerman":
                return GermanMinimalStemFilter::new;
            case "german":
                return ts -> new SnowballFilter(ts, new GermanStemmer());
            case "english":
            case "porter":
                return PorterStemFilter::new;
            case "light_english":
            case "lightenglish":
            case "kstem":
                return KStemFilter::new;
            case "minimal_english":
            case "minimalenglish":
                return EnglishMinimalStemFilter::new;
            default:
                throw new IllegalArgumentException("stemmer language [" + language + "] is not supported by this test node "
                    + "(supported: light_german, minimal_german, german, english, porter, light_english, minimal_english)");
        }
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        Map<String, AnalysisProvider<TokenFilterFactory>> m = new TreeMap<>();
        m.put("lowercase", normalizing(LowerCaseFilter::new));
        m.put("uppercase", normalizing(UpperCaseFilter::new));
        m.put("german_normalization", normalizing(GermanNormalizationFilter::new));
        m.put("asciifolding", (is, env, name, s) -> new AsciiFoldingFilter(name, s));
        m.put("trim", normalizing(TrimFilter::new));
        m.put("porter_stem", plain(PorterStemFilter::new));
        m.put("kstem", plain(KStemFilter::new));
        m.put("german_stem", plain(GermanLightStemFilter::new));
        m.put("stemmer", (is, env, name, s) -> {
            String language = s.get("language", s.get("name", "porter"));
            return new AbstractTokenFilterFactory(name, s) {
                private final Function<TokenStream, TokenStream> f = stemmer(language);

                @Override
                public TokenStream create(TokenStream tokenStream) {
                    return f.apply(tokenStream);
                }
            };
        });
        // synonyms: rules parsed with the chain before the filter (see SynonymTokenFilterFactory), as in analysis-common
        m.put("synonym", AnalysisPlugin.requiresAnalysisSettings(
            (is, env, name, s) -> new SynonymTokenFilterFactory(is, env, name, s, false)));
        m.put("synonym_graph", AnalysisPlugin.requiresAnalysisSettings(
            (is, env, name, s) -> new SynonymTokenFilterFactory(is, env, name, s, true)));
        return m;
    }

    /** {@code asciifolding} as analysis-common's ASCIIFoldingTokenFilterFactory: with {@code preserve_original},
     *  normalizers and synonym rules still get only the folded token. */
    private static final class AsciiFoldingFilter extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
        private final boolean preserveOriginal;

        AsciiFoldingFilter(String name, Settings settings) {
            super(name, settings);
            this.preserveOriginal = settings.getAsBoolean("preserve_original", false);
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return new ASCIIFoldingFilter(tokenStream, preserveOriginal);
        }

        @Override
        public TokenStream normalize(TokenStream tokenStream) {
            return new ASCIIFoldingFilter(tokenStream, false);
        }

        @Override
        public TokenFilterFactory getSynonymFilter() {
            if (preserveOriginal == false) {
                return this;
            }
            String name = name();
            return new TokenFilterFactory() {
                @Override
                public String name() {
                    return name;
                }

                @Override
                public TokenStream create(TokenStream tokenStream) {
                    return new ASCIIFoldingFilter(tokenStream, false);
                }
            };
        }
    }

    @Override
    public List<PreConfiguredTokenFilter> getPreConfiguredTokenFilters() {
        return List.of(
            PreConfiguredTokenFilter.singleton("uppercase", true, UpperCaseFilter::new),
            PreConfiguredTokenFilter.singleton("german_normalization", true, GermanNormalizationFilter::new),
            PreConfiguredTokenFilter.singleton("asciifolding", true, ASCIIFoldingFilter::new),
            PreConfiguredTokenFilter.singleton("trim", true, TrimFilter::new),
            PreConfiguredTokenFilter.singleton("porter_stem", false, PorterStemFilter::new),
            PreConfiguredTokenFilter.singleton("kstem", false, KStemFilter::new),
            PreConfiguredTokenFilter.singleton("german_stem", false, GermanLightStemFilter::new)
        );
    }

    // ---------------------------------------------------------------- tokenizers

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        Map<String, AnalysisProvider<TokenizerFactory>> m = new TreeMap<>();
        m.put("whitespace", (is, env, name, s) -> TokenizerFactory.newFactory(name, WhitespaceTokenizer::new));
        m.put("keyword", (is, env, name, s) -> TokenizerFactory.newFactory(name, KeywordTokenizer::new));
        return m;
    }

    @Override
    public List<PreConfiguredTokenizer> getPreConfiguredTokenizers() {
        return List.of(
            PreConfiguredTokenizer.singleton("whitespace", WhitespaceTokenizer::new),
            PreConfiguredTokenizer.singleton("keyword", KeywordTokenizer::new)
        );
    }

    // ---------------------------------------------------------------- analyzers

    /** The built-in {@code german} analyzer (Lucene's GermanAnalyzer: standard tokenizer, lowercase, German stop words,
     *  keyword marker for {@code stem_exclusion}, German normalisation, light German stemming), as in analysis-common. */
    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> m = new TreeMap<>();
        m.put("german", (is, env, name, s) -> {
            CharArraySet stop = Analysis.parseStopWords(env, s, GermanAnalyzer.getDefaultStopSet());
            CharArraySet exclusion = Analysis.parseStemExclusion(s, CharArraySet.EMPTY_SET);
            GermanAnalyzer analyzer = new GermanAnalyzer(stop, exclusion);
            return new AbstractIndexAnalyzerProvider<GermanAnalyzer>(name, s) {
                @Override
                public GermanAnalyzer get() {
                    return analyzer;
                }
            };
        });
        return m;
    }
}
