package corpus.esnode;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.synonym.SolrSynonymParser;
import org.apache.lucene.analysis.synonym.SynonymFilter;
import org.apache.lucene.analysis.synonym.SynonymGraphFilter;
import org.apache.lucene.analysis.synonym.SynonymMap;
import org.apache.lucene.analysis.synonym.WordnetSynonymParser;
import org.apache.lucene.util.CharsRef;
import org.apache.lucene.util.CharsRefBuilder;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexService.IndexCreationContext;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.IndexVersions;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.AnalysisMode;
import org.elasticsearch.index.analysis.CharFilterFactory;
import org.elasticsearch.index.analysis.CustomAnalyzer;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.logging.LogManager;
import org.elasticsearch.logging.Logger;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.util.List;
import java.util.function.Function;

/**
 * The {@code synonym} and {@code synonym_graph} token filters, as analysis-common's
 * {@code SynonymTokenFilterFactory} / {@code SynonymGraphTokenFilterFactory} implement them:
 *
 * <ul>
 *   <li>Rules come from {@code synonyms} (inline list) or {@code synonyms_path} (a file relative to the
 *       config directory), in Solr format by default or WordNet format with {@code format: wordnet}.</li>
 *   <li>{@code expand} (default true), {@code lenient} (default: the value of {@code updateable}, as for
 *       indices created by 8.x), {@code updateable} (makes the filter search-time only, like in Elasticsearch).</li>
 *   <li>The factory itself cannot create streams: Elasticsearch calls
 *       {@link #getChainAwareTokenFilterFactory} while it builds each custom analyzer, and the rules are parsed
 *       with an analyzer made of that analyzer's char filters, tokenizer and the token filters that precede the
 *       synonym filter (each replaced by its {@link TokenFilterFactory#getSynonymFilter()}).</li>
 * </ul>
 *
 * {@code synonyms_set} (rules stored with the synonyms API) is not supported on this test node.
 */
final class SynonymTokenFilterFactory extends AbstractTokenFilterFactory {
    private static final Logger LOGGER = LogManager.getLogger(SynonymTokenFilterFactory.class);

    private final boolean graph;
    private final Settings settings;
    private final Environment environment;
    private final String format;
    private final boolean expand;
    private final boolean lenient;
    private final AnalysisMode analysisMode;

    SynonymTokenFilterFactory(IndexSettings indexSettings, Environment env, String name, Settings settings, boolean graph) {
        super(name, settings);
        this.graph = graph;
        this.settings = settings;
        this.environment = env;
        if (settings.hasValue("synonyms") == false && settings.hasValue("synonyms_path") == false) {
            if (settings.hasValue("synonyms_set")) {
                throw new IllegalArgumentException("[synonyms_set] (synonym rules stored with the synonyms API) is not "
                    + "supported by the corpus test node's synonym filters; use [synonyms] or [synonyms_path]");
            }
            throw new IllegalArgumentException("synonym requires either `synonyms`, `synonyms_set` or `synonyms_path` to be configured");
        }
        this.expand = settings.getAsBoolean("expand", true);
        this.format = settings.get("format", "");
        boolean updateable = settings.getAsBoolean("updateable", false);
        this.lenient = settings.getAsBoolean("lenient",
            indexSettings.getIndexVersionCreated().onOrAfter(IndexVersions.LENIENT_UPDATEABLE_SYNONYMS) && updateable);
        this.analysisMode = updateable ? AnalysisMode.SEARCH_TIME : AnalysisMode.ALL;
    }

    @Override
    public AnalysisMode getAnalysisMode() {
        return analysisMode;
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        throw new IllegalStateException("Call getChainAwareTokenFilterFactory to specialize this factory for an analysis chain first");
    }

    @Override
    public TokenFilterFactory getChainAwareTokenFilterFactory(IndexCreationContext context, TokenizerFactory tokenizer,
            List<CharFilterFactory> charFilters, List<TokenFilterFactory> previousTokenFilters,
            Function<String, TokenFilterFactory> allFilters) {
        Analyzer analyzer = buildSynonymAnalyzer(tokenizer, charFilters, previousTokenFilters);
        final SynonymMap synonyms;
        try {
            synonyms = buildSynonyms(analyzer);
        } finally {
            analyzer.close();
        }
        final String name = name();
        final boolean graph = this.graph;
        final AnalysisMode analysisMode = this.analysisMode;
        return new TokenFilterFactory() {
            @Override
            public String name() {
                return name;
            }

            @Override
            @SuppressWarnings("deprecation") // SynonymFilter is what Elasticsearch's `synonym` filter uses
            public TokenStream create(TokenStream tokenStream) {
                if (synonyms.fst == null) {
                    return tokenStream;
                }
                return graph ? new SynonymGraphFilter(tokenStream, synonyms, false) : new SynonymFilter(tokenStream, synonyms, false);
            }

            @Override
            public TokenFilterFactory getSynonymFilter() {
                // a later synonym filter in the same chain parses its rules without this one (as in Elasticsearch)
                return IDENTITY_FILTER;
            }

            @Override
            public AnalysisMode getAnalysisMode() {
                return analysisMode;
            }
        };
    }

    /** The analyzer the rules are parsed with: the chain before the synonym filter, as analysis-common builds it. */
    static Analyzer buildSynonymAnalyzer(TokenizerFactory tokenizer, List<CharFilterFactory> charFilters,
            List<TokenFilterFactory> tokenFilters) {
        return new CustomAnalyzer(tokenizer, charFilters.toArray(new CharFilterFactory[0]),
            tokenFilters.stream().map(TokenFilterFactory::getSynonymFilter).toArray(TokenFilterFactory[]::new));
    }

    private SynonymMap buildSynonyms(Analyzer analyzer) {
        String origin;
        Reader rules;
        if (settings.hasValue("synonyms")) {
            StringBuilder sb = new StringBuilder();
            for (String line : Analysis.getWordList(environment, settings, "synonyms")) {
                sb.append(line).append(System.lineSeparator());
            }
            rules = new StringReader(sb.toString());
            origin = "'" + name() + "' analyzer settings";
        } else {
            origin = settings.get("synonyms_path");
            // the inline setting name: getReaderFromFile appends "_path" in its messages
            rules = Analysis.getReaderFromFile(environment, origin, "synonyms");
        }
        try (Reader r = rules) {
            SynonymMap.Builder parser;
            if ("wordnet".equalsIgnoreCase(format)) {
                LenientWordnetParser p = new LenientWordnetParser(expand, lenient, analyzer);
                p.parse(r);
                parser = p;
            } else {
                LenientSolrParser p = new LenientSolrParser(expand, lenient, analyzer);
                p.parse(r);
                parser = p;
            }
            return parser.build();
        } catch (Exception e) {
            throw new IllegalArgumentException("failed to build synonyms from [" + origin + "]", e);
        }
    }

    // With lenient, a term that the analyzer rejects (e.g. a stop word that disappears) becomes an empty CharsRef,
    // and every mapping that involves an empty side is dropped: Elasticsearch's ESSolrSynonymParser does the same.

    private static final class LenientSolrParser extends SolrSynonymParser {
        private final boolean lenient;

        LenientSolrParser(boolean expand, boolean lenient, Analyzer analyzer) {
            super(true, expand, analyzer);
            this.lenient = lenient;
        }

        @Override
        public void add(CharsRef input, CharsRef output, boolean includeOrig) {
            if (lenient == false || (input.length > 0 && output.length > 0)) {
                super.add(input, output, includeOrig);
            }
        }

        @Override
        public CharsRef analyze(String text, CharsRefBuilder reuse) throws IOException {
            try {
                return super.analyze(text, reuse);
            } catch (IllegalArgumentException ex) {
                if (lenient) {
                    LOGGER.info("Synonym rule for [" + text + "] was ignored");
                    return new CharsRef("");
                }
                throw ex;
            }
        }
    }

    private static final class LenientWordnetParser extends WordnetSynonymParser {
        private final boolean lenient;

        LenientWordnetParser(boolean expand, boolean lenient, Analyzer analyzer) {
            super(true, expand, analyzer);
            this.lenient = lenient;
        }

        @Override
        public void add(CharsRef input, CharsRef output, boolean includeOrig) {
            if (lenient == false || (input.length > 0 && output.length > 0)) {
                super.add(input, output, includeOrig);
            }
        }

        @Override
        public CharsRef analyze(String text, CharsRefBuilder reuse) throws IOException {
            try {
                return super.analyze(text, reuse);
            } catch (IllegalArgumentException ex) {
                if (lenient) {
                    LOGGER.info("Synonym rule for [" + text + "] was ignored");
                    return new CharsRef("");
                }
                throw ex;
            }
        }
    }
}
